/**
 * The views: what a person sees of runs and measurements, as terminal text (tables, {@link
 * org.seqlab.view.Bars}, a {@link org.seqlab.view.ProgressBar}, {@link org.seqlab.view.Units}), PNG
 * charts ({@link org.seqlab.view.Plots}) and the words of a verdict ({@link
 * org.seqlab.view.GradientVerdict}), written once here so that the command line, the web lab and a
 * sweep show the same thing. The last stage of the data flow: it reads training reports, probe
 * results and run records.
 *
 * <p>Imports {@code train}, {@code probe} and {@code io} today. May not import the faces ({@code
 * cli}, {@code lab}, {@code web}) nor {@code experiments}; {@code experiments} and the faces import
 * it.
 */
package org.seqlab.view;
