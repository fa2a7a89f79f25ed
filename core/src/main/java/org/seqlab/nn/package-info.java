/**
 * The model and its loss: float32 layers with hand-written forward and backward passes, side by
 * side, each a {@link org.seqlab.nn.Module} with named {@link org.seqlab.nn.Parameter}s.
 *
 * <ul>
 *   <li>Building blocks: {@link org.seqlab.nn.Linear}, {@link org.seqlab.nn.Embedding}, {@link
 *       org.seqlab.nn.LayerNorm}, {@link org.seqlab.nn.Gelu}, {@link org.seqlab.nn.Dropout}, {@link
 *       org.seqlab.nn.FeedForward}, {@link org.seqlab.nn.PositionalEncoding}.
 *   <li>Recurrent stacks: {@link org.seqlab.nn.Rnn}, {@link org.seqlab.nn.Lstm}, {@link
 *       org.seqlab.nn.Gru}, built by {@link org.seqlab.nn.Recurrent#create} from a {@link
 *       org.seqlab.nn.RecurrentKind}; a forward returns a {@link org.seqlab.nn.RecurrentOutput}
 *       whose {@link org.seqlab.nn.RecurrentTrace} the backward reads, giving {@link
 *       org.seqlab.nn.RecurrentGradients}; {@link org.seqlab.nn.RecurrentStream} runs one step at a
 *       time. The passes live in files of their own (forward, backward, inference, step product).
 *   <li>Attention: {@link org.seqlab.nn.MultiHeadSelfAttention}, {@link
 *       org.seqlab.nn.TransformerBlock}, {@link org.seqlab.nn.TransformerDecoder}.
 *   <li>Whole models: {@link org.seqlab.nn.LanguageModel}, implemented by {@link
 *       org.seqlab.nn.RecurrentLanguageModel}, {@link org.seqlab.nn.MinRecurrentLanguageModel} (the
 *       two share {@code RecurrentShell}: embedding, dropout, head, decoder) and {@link
 *       org.seqlab.nn.TransformerLanguageModel}.
 *   <li>Losses: {@link org.seqlab.nn.CrossEntropyLoss}, {@link org.seqlab.nn.MeanSquaredError}.
 * </ul>
 *
 * <p>Conventions: sequences are time-major {@code [T, B, F]}; weights have PyTorch's layout and
 * names, so a {@code state_dict} moves between the two unchanged; a forward pass returns what its
 * backward pass needs; backward accumulates ({@code +=}) into parameter gradients and zeroing is an
 * explicit {@link org.seqlab.nn.Module#zeroGrad()}. Every layer is checked against PyTorch golden
 * files and by finite differences.
 *
 * <p>May import {@code tensor} only of seqlab (and commons-numbers for {@code erfc}): never {@code
 * train}, {@code tasks}, {@code probe}, {@code io}, the views or the faces, nor JSON or chart
 * libraries; {@code nn.reference} imports it, not the other way round.
 */
package org.seqlab.nn;
