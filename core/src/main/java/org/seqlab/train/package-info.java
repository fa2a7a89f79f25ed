/**
 * The training engine, from a task's batches to updated weights: {@link org.seqlab.train.Trainer}
 * is the one loop that trains every model on every task (batch → model → loss → gradients →
 * clipping → {@link org.seqlab.train.Optimizer}), for the command line, the web lab and sweeps
 * alike. It reports each step and validation to {@link org.seqlab.train.TrainingListener}s, which
 * write the run record and draw the views; it stops on a non-finite loss and says where ({@link
 * org.seqlab.train.Divergence}); {@link org.seqlab.train.TrainingState} resumes a run exactly.
 *
 * <p>May import {@code nn}, {@code tasks} and {@code tensor} only: not {@code io} (files), {@code
 * probe}, {@code experiments}, the views or the faces, nor JSON or chart libraries.
 */
package org.seqlab.train;
