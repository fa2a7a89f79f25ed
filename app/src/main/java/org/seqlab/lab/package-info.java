/**
 * The web lab without the web: {@link org.seqlab.lab.Lab} holds its runs folder, the runs in it,
 * the queue and the probes. A run is an experiment configuration (a {@link org.seqlab.lab.Presets}
 * story or the user's) trained by the one engine ({@code train}) into a run directory written as
 * {@code seqlab train} writes it, its events kept for the page in {@link org.seqlab.lab.RunEvents};
 * so the history is the folder, and runs the command line wrote there appear too.
 *
 * <p>The engine of a face: nothing below uses it; {@code web} does, and {@code cli} through the
 * server it starts. It may not import {@code web} or {@code cli}; it shares {@code view}'s words
 * for a verdict.
 */
package org.seqlab.lab;
