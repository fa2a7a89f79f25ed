/**
 * The double-precision reference: slow, obviously correct definitions of what seqlab's float32
 * layers compute. {@link org.seqlab.nn.reference.Graph} is a tape of matrix operations, each with
 * its local derivative beside it and checked by central finite differences; {@link
 * org.seqlab.nn.reference.ReferenceRecurrent} (RNN, LSTM, GRU) and {@link
 * org.seqlab.nn.reference.ReferenceTransformer} (pre-norm blocks and a decoder) are plain
 * compositions of those operations, with PyTorch's parameter names, and are checked against
 * PyTorch's float64 golden files. Double precision also lets the gradient probes follow a vanishing
 * gradient far below float32's range.
 */
package org.seqlab.nn.reference;
