/**
 * Reading and writing model weights and run data. {@link org.seqlab.io.Safetensors} moves tensors
 * to and from the safetensors format that PyTorch and Hugging Face use, validating every file it
 * reads.
 */
package org.seqlab.io;
