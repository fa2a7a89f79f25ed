/**
 * Where the training data comes from: seeded, deterministic sources of {@link
 * org.seqlab.tasks.Batch}es. A task hands out the batch of any training step as a pure function of
 * the step number, so a run resumed from a checkpoint sees exactly the batches it would have seen.
 * {@link org.seqlab.tasks.CharCorpus} reads a UTF-8 text; {@link org.seqlab.tasks.TextStreams} cuts
 * it into the contiguous streams of a character language model trained by truncated backpropagation
 * through time.
 *
 * <p>The {@link org.seqlab.tasks.SyntheticTask}s make their sequences up from a seed, each to
 * measure one ability against a trivial baseline: {@link org.seqlab.tasks.AddingProblem} and {@link
 * org.seqlab.tasks.CopyMemory} (memory over a long delay), {@link org.seqlab.tasks.Agreement}
 * (subject–verb agreement across attractors at a distance), {@link org.seqlab.tasks.Recall}
 * (key–value recall, a probe of capacity), {@link org.seqlab.tasks.MultiQueryRecall} (multi-query
 * associative recall, MQAR: every key of the pairs asked in turn) and {@link
 * org.seqlab.tasks.FirstTokenRecall} (the first token, asked at every position after it: what
 * attention fetches in one step).
 */
package org.seqlab.tasks;
