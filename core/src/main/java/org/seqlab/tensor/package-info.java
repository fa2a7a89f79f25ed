/**
 * The kernels under every model: a dense float32 {@link org.seqlab.tensor.Tensor}, the matrix
 * products ({@link org.seqlab.tensor.MatMul}, with its plain-loop twin {@link
 * org.seqlab.tensor.ScalarMatMul}, and {@link org.seqlab.tensor.PanelMatVec} for a recurrent step
 * at small batch), {@link org.seqlab.tensor.Elementwise} functions with their derivatives, the one
 * concurrency primitive {@link org.seqlab.tensor.Parallel} (and {@link
 * org.seqlab.tensor.SpinBarrier} for threads that meet once per step), numpy's random stream, and
 * probes of the machine's limits. In the data flow it is below the model: layers call it, it knows
 * nothing of layers.
 *
 * <p>May not import: anything of seqlab. It depends on the JDK alone (the Vector API included).
 */
package org.seqlab.tensor;
