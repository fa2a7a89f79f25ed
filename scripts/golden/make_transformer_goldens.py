#!/usr/bin/python3
"""Golden files for seqlab's float32 Transformer layers, computed by PyTorch in float64.

Every weight and input is drawn, rounded to float32 and then computed in float64, so a float32
implementation starts from exactly the same numbers and differs only by its own rounding. Weights
are drawn larger than PyTorch's defaults (and biases and LayerNorm affine parameters non-trivial)
so that GELU, LayerNorm and the softmax work away from their linear parts. Each backward pass
backpropagates L = sum(output * dOutput) for a fixed random dOutput, except the decoder's, which
backpropagates its cross-entropy loss.

Files (in core/src/test/resources/golden/):
  layer_norm.safetensors           nn.LayerNorm(7) on x [4, 3, 7]
  gelu.safetensors                 nn.GELU() (exact erf form) on values near 0, moderate and large
  attention.safetensors            nn.MultiheadAttention(8, 2), causal, on x [5, 3, 8]
  transformer_block.safetensors    nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0,
                                   activation="gelu", norm_first=True), causal and padded
  transformer_decoder.safetensors  a decoder LM (V=11, D=8, 2 heads, FF 12, 2 layers, maxLen 16,
                                   learned positions) on tokens [6, 2]
  transformer_decoder_sinusoidal.safetensors  the same with sinusoidal positions, lengths [6, 4]
                                   and ignored targets at the padded positions

Attention probabilities are computed by a hand-written attention, which is checked against
PyTorch's own (need_weights=True, average_attn_weights=False) and against the layer's output.

Run from the repository root:

    /usr/bin/python3 scripts/golden/make_transformer_goldens.py
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import safetensors_io  # noqa: E402

GENERATOR = "scripts/golden/make_transformer_goldens.py"
OUT_DIR = os.path.join("core", "src", "test", "resources", "golden")


def float32_random(*shape, scale=1.0, shift=0.0):
    """Normal values times scale plus shift, rounded to float32, returned as float64."""
    return (torch.randn(*shape, dtype=torch.float64) * scale + shift).float().double()


def randomize(module):
    """Draws every parameter at a scale chosen by its name, rounded to float32."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            leaf = name.split(".")[-1]
            is_norm = "norm" in name
            if is_norm and leaf == "weight":
                value = float32_random(*p.shape, scale=0.3, shift=1.0)
            elif leaf.endswith("bias"):
                value = float32_random(*p.shape, scale=0.2)
            elif "embedding" in name:
                value = float32_random(*p.shape)
            else:
                value = float32_random(*p.shape, scale=0.5)
            p.copy_(value)


def causal_float_mask(steps):
    """[T, T] with -inf above the diagonal: query t may not see keys s > t."""
    return torch.triu(torch.full((steps, steps), float("-inf"), dtype=torch.float64), diagonal=1)


def padding_mask(lengths, steps):
    """[B, T] bool, True at padded key positions s >= lengths[b]."""
    return torch.arange(steps)[None, :] >= torch.tensor(lengths)[:, None]


def hand_attention(mha, x, causal, lengths):
    """Multi-head self-attention written out; returns (output [T, B, D], P [B, H, T, T])."""
    steps, batch, dim = x.shape
    heads = mha.num_heads
    dh = dim // heads
    qkv = x @ mha.in_proj_weight.T + mha.in_proj_bias
    q, k, v = qkv.split(dim, dim=-1)

    def split(t):
        return t.reshape(steps, batch, heads, dh).permute(1, 2, 0, 3)  # [B, H, T, dh]

    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
    allowed = torch.ones(batch, steps, steps, dtype=torch.bool)
    if causal:
        allowed &= torch.tril(torch.ones(steps, steps, dtype=torch.bool))[None]
    if lengths is not None:
        allowed &= ~padding_mask(lengths, steps)[:, None, :]
    scores = scores.masked_fill(~allowed[:, None], float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    context = (probs @ v).permute(2, 0, 1, 3).reshape(steps, batch, dim)
    return context @ mha.out_proj.weight.T + mha.out_proj.bias, probs


def check_attention(mha, x, causal, lengths):
    """Hand attention, checked against nn.MultiheadAttention's output and weights."""
    steps = x.shape[0]
    out, probs = hand_attention(mha, x, causal, lengths)
    torch_out, torch_probs = mha(
        x, x, x,
        attn_mask=causal_float_mask(steps) if causal else None,
        key_padding_mask=padding_mask(lengths, steps) if lengths is not None else None,
        need_weights=True, average_attn_weights=False)
    assert torch.allclose(out, torch_out, rtol=1e-12, atol=1e-12), "hand attention output differs"
    assert torch.allclose(probs, torch_probs, rtol=1e-12, atol=1e-12), "hand attention weights differ"
    return probs


def metadata(model, **sizes):
    return dict(model=model, generator=GENERATOR, torch_version=torch.__version__, **sizes)


def save(name, tensors, meta):
    safetensors_io.save(os.path.join(OUT_DIR, name + ".safetensors"), tensors, meta)


def gradients(module, prefix=""):
    return {"grad." + prefix + n: p.grad for n, p in module.named_parameters()}


def layer_norm_golden(seed):
    torch.manual_seed(seed)
    dim = 7
    norm = torch.nn.LayerNorm(dim).double()
    randomize(norm)
    x = float32_random(4, 3, dim, scale=2.0, shift=0.5).requires_grad_()
    d_output = float32_random(4, 3, dim)
    output = norm(x)
    (output * d_output).sum().backward()
    tensors = dict(norm.named_parameters())
    tensors.update(input=x, output=output, dOutput=d_output)
    tensors.update(gradients(norm))
    tensors["grad.input"] = x.grad
    save("layer_norm", tensors, metadata("layer_norm", dim=dim, eps=norm.eps, seed=seed))


def gelu_golden(seed):
    torch.manual_seed(seed)
    special = [0.0, 1e-8, -1e-8, 1e-4, -1e-4, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0,
               6.0, -6.0, 10.0, -10.0, 30.0, -30.0]
    x = torch.cat([torch.tensor(special, dtype=torch.float64), float32_random(45, scale=3.0)])
    x = x.float().double().requires_grad_()
    d_output = float32_random(x.shape[0])
    output = torch.nn.GELU()(x)
    (output * d_output).sum().backward()
    save("gelu", dict(input=x, output=output, dOutput=d_output, **{"grad.input": x.grad}),
         metadata("gelu", approximate="none", seed=seed))


def attention_golden(seed):
    torch.manual_seed(seed)
    steps, batch, dim, heads = 5, 3, 8, 2
    mha = torch.nn.MultiheadAttention(dim, heads).double()
    randomize(mha)
    x = float32_random(steps, batch, dim).requires_grad_()
    d_output = float32_random(steps, batch, dim)
    probs = check_attention(mha, x, causal=True, lengths=None)
    output, _ = mha(x, x, x, attn_mask=causal_float_mask(steps), need_weights=False)
    (output * d_output).sum().backward()
    tensors = dict(mha.named_parameters())
    tensors.update(input=x, output=output, attention=probs, dOutput=d_output)
    tensors.update(gradients(mha))
    tensors["grad.input"] = x.grad
    save("attention", tensors,
         metadata("multihead_attention", d_model=dim, num_heads=heads, causal="true",
                  seq_len=steps, batch_size=batch, seed=seed))


def encoder_layer(dim, heads, dff):
    return torch.nn.TransformerEncoderLayer(
        dim, heads, dff, dropout=0.0, activation="gelu", norm_first=True).double()


def block_golden(seed):
    torch.manual_seed(seed)
    steps, batch, dim, heads, dff = 5, 3, 8, 2, 12
    lengths = [5, 3, 4]
    layer = encoder_layer(dim, heads, dff)
    randomize(layer)
    x = float32_random(steps, batch, dim).requires_grad_()
    d_output = float32_random(steps, batch, dim)
    output = layer(x, src_mask=causal_float_mask(steps),
                   src_key_padding_mask=padding_mask(lengths, steps))
    (output * d_output).sum().backward()
    with torch.no_grad():
        normed = layer.norm1(x)
        probs = check_attention(layer.self_attn, normed, causal=True, lengths=lengths)
        # The block written out from the hand attention must give the layer's output.
        y = x + hand_attention(layer.self_attn, normed, True, lengths)[0]
        z = y + layer.linear2(F.gelu(layer.linear1(layer.norm2(y))))
        assert torch.allclose(z, output, rtol=1e-12, atol=1e-12), "hand block differs"
    tensors = dict(layer.named_parameters())
    tensors.update(input=x, lengths=torch.tensor(lengths, dtype=torch.int64), output=output,
                   attention=probs, dOutput=d_output)
    tensors.update(gradients(layer))
    tensors["grad.input"] = x.grad
    save("transformer_block", tensors,
         metadata("transformer_block", d_model=dim, num_heads=heads, dim_feedforward=dff,
                  causal="true", seq_len=steps, batch_size=batch, seed=seed))


def sinusoidal_table(max_len, dim):
    position = torch.arange(max_len, dtype=torch.float64)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    table = torch.zeros(max_len, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)[:, : dim // 2]
    return table


class Decoder(torch.nn.Module):
    """The decoder LM, with seqlab's parameter names."""

    def __init__(self, vocab, dim, heads, dff, layers, max_len, learned):
        super().__init__()
        self.token_embedding = torch.nn.Embedding(vocab, dim)
        if learned:
            self.position_embedding = torch.nn.Embedding(max_len, dim)
        else:
            self.register_buffer("sinusoid", sinusoidal_table(max_len, dim), persistent=False)
        self.learned = learned
        self.blocks = torch.nn.ModuleList([encoder_layer(dim, heads, dff) for _ in range(layers)])
        self.final_norm = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, vocab)

    def forward(self, tokens, lengths):
        steps = tokens.shape[0]
        table = self.position_embedding.weight if self.learned else self.sinusoid
        embedded = self.token_embedding(tokens) + table[:steps][:, None, :]
        embedded.retain_grad()
        mask = causal_float_mask(steps)
        padding = padding_mask(lengths, steps) if lengths is not None else None
        x = embedded
        probs = []
        for block in self.blocks:
            with torch.no_grad():
                probs.append(check_attention(block.self_attn, block.norm1(x), True, lengths))
            x = block(x, src_mask=mask, src_key_padding_mask=padding)
        return self.head(self.final_norm(x)), embedded, probs


def decoder_golden(name, seed, learned, lengths):
    torch.manual_seed(seed)
    vocab, dim, heads, dff, layers, max_len, steps, batch = 11, 8, 2, 12, 2, 16, 6, 2
    model = Decoder(vocab, dim, heads, dff, layers, max_len, learned).double()
    randomize(model)
    tokens = torch.randint(0, vocab, (steps, batch), dtype=torch.int64)
    targets = torch.randint(0, vocab, (steps, batch), dtype=torch.int64)
    if lengths is not None:
        targets = targets.masked_fill(padding_mask(lengths, steps).T, -100)
    logits, embedded, probs = model(tokens, lengths)
    logits.retain_grad()
    loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    tensors = dict(model.named_parameters())
    tensors.update(tokens=tokens, targets=targets)
    if lengths is not None:
        tensors["lengths"] = torch.tensor(lengths, dtype=torch.int64)
    tensors.update(embedded=embedded, logits=logits, loss=loss.reshape(1))
    for i, p in enumerate(probs):
        tensors["attention.%d" % i] = p
    tensors.update(gradients(model))
    tensors["grad.logits"] = logits.grad
    tensors["grad.embedded"] = embedded.grad
    save(name, tensors,
         metadata("transformer_decoder", vocab_size=vocab, d_model=dim, num_heads=heads,
                  dim_feedforward=dff, num_layers=layers, max_len=max_len,
                  positional="learned" if learned else "sinusoidal", seq_len=steps,
                  batch_size=batch, seed=seed))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    layer_norm_golden(21)
    gelu_golden(22)
    attention_golden(23)
    block_golden(24)
    decoder_golden("transformer_decoder", 25, learned=True, lengths=None)
    decoder_golden("transformer_decoder_sinusoidal", 26, learned=False, lengths=[6, 4])


if __name__ == "__main__":
    main()
