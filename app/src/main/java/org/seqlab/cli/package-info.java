/**
 * The command line face: {@link org.seqlab.cli.Main} ({@code seqlab}) and one picocli command per
 * job ({@code train}, {@code run}, {@code gradients}, {@code lab}, ...). A command parses its
 * options, refusing bad input with the option's name and allowed range ({@link
 * org.seqlab.cli.UserError}), calls the layers below and prints through the injected writers;
 * verdicts, tables' numbers and plots' series come from below ({@code view}, {@code experiments}),
 * so the web lab and a sweep show the same words.
 *
 * <p>Nothing in core or app imports it, and only it imports picocli (enforced by {@code
 * ArchitectureTest}); the sweep module's Spark commands build on it. Of the other faces it imports
 * {@code web}, for {@code seqlab lab} to start {@link org.seqlab.web.LabServer}, and through the
 * server it reaches {@code lab} (to count the runs still going when it stops).
 */
package org.seqlab.cli;
