/**
 * Float32 layers with hand-written forward and backward passes, side by side: {@link
 * org.seqlab.nn.Linear}, {@link org.seqlab.nn.Embedding}, and the recurrent stacks {@link
 * org.seqlab.nn.Rnn}, {@link org.seqlab.nn.Lstm}, {@link org.seqlab.nn.Gru} built by {@link
 * org.seqlab.nn.Recurrent#create}.
 *
 * <p>Conventions: sequences are time-major {@code [T, B, F]}; weights have PyTorch's layout and
 * names, so a {@code state_dict} moves between the two unchanged; a forward pass returns what its
 * backward pass needs; backward accumulates ({@code +=}) into parameter gradients and zeroing is an
 * explicit {@link org.seqlab.nn.Module#zeroGrad()}. Every layer is checked against PyTorch golden
 * files and by finite differences.
 */
package org.seqlab.nn;
