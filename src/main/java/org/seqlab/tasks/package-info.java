/**
 * Where the training data comes from: seeded, deterministic sources of {@link
 * org.seqlab.tasks.Batch}es. A task hands out the batch of any training step as a pure function of
 * the step number, so a run resumed from a checkpoint sees exactly the batches it would have seen.
 * {@link org.seqlab.tasks.CharCorpus} reads a UTF-8 text; {@link org.seqlab.tasks.TextStreams} cuts
 * it into the contiguous streams of a character language model trained by truncated backpropagation
 * through time.
 */
package org.seqlab.tasks;
