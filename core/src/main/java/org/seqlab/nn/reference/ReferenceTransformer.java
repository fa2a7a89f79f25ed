package org.seqlab.nn.reference;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pre-norm Transformer in double precision, written as a plain composition of {@link Graph}
 * operations: the definition of what the fast attention layers compute, and the engine of the
 * attention and gradient probes. Either a stack of blocks over given vectors ({@link #blocks}) or a
 * decoder-style language model over tokens ({@link #decoder}).
 *
 * <p>Symbols: {@code T} steps, {@code B} batch, {@code D} model size, {@code h} heads of size
 * {@code d_h = D / h}, {@code F} feed-forward size, {@code V} vocabulary. Sequences are time-major:
 * row {@code t*B + b} of a {@code [T*B, D]} matrix is step {@code t} of sequence {@code b}. One
 * block is {@code torch.nn.TransformerEncoderLayer(D, h, F, dropout=0, activation="gelu",
 * norm_first=True)}:
 *
 * <pre>
 * y = x + SA(LN1(x))
 * z = y + W2 GELU(W1 LN2(y) + b1) + b2
 * SA(u): Q, K, V = u W_q^T + b_q, u W_k^T + b_k, u W_v^T + b_v   (W_q, W_k, W_v: rows of in_proj)
 *        head j uses columns [j d_h, (j+1) d_h) of Q, K, V, separately for each sequence b:
 *        P_j = softmax over s of (Q_j K_j^T / √d_h), with s masked when s > t (causal) or s ≥ length_b
 *        SA(u) = concat_j(P_j V_j) W_o^T + b_o
 * </pre>
 *
 * The decoder embeds {@code x_t = E[token_t] + P[t]} (a learned table, or the fixed sinusoidal one
 * of {@link #sinusoidalTable}), runs the blocks with the causal mask, and reads out {@code logits =
 * LN_f(z) W_head^T + b_head}. Every layer norm uses {@code eps = }{@value #LAYER_NORM_EPS},
 * PyTorch's default.
 *
 * <p>Parameters have PyTorch's names and layout; block {@code i}'s are prefixed {@code blocks.i.}:
 * {@code self_attn.in_proj_weight [3D, D]} (rows q, k, v), {@code self_attn.in_proj_bias [3D]},
 * {@code self_attn.out_proj.weight [D, D]}, {@code self_attn.out_proj.bias [D]}, {@code
 * linear1.weight [F, D]}, {@code linear1.bias [F]}, {@code linear2.weight [D, F]}, {@code
 * linear2.bias [D]}, {@code norm1.weight [D]}, {@code norm1.bias [D]}, {@code norm2.weight [D]},
 * {@code norm2.bias [D]}. The decoder adds {@code token_embedding.weight [V, D]}, {@code
 * position_embedding.weight [maxLength, D]} (learned positions only) before the blocks and {@code
 * final_norm.weight [D]}, {@code final_norm.bias [D]}, {@code head.weight [V, D]}, {@code head.bias
 * [V]} after them.
 */
public final class ReferenceTransformer {
  /** The {@code eps} of every layer norm, {@code torch.nn.LayerNorm}'s default. */
  public static final double LAYER_NORM_EPS = 1e-5;

  /** How the decoder tells positions apart. */
  public enum Positions {
    /** A trained table {@code position_embedding.weight [maxLength, D]}. */
    LEARNED,
    /** The fixed table of {@link ReferenceTransformer#sinusoidalTable}; no parameter. */
    SINUSOIDAL
  }

  private final int vocabSize;
  private final int maxLength;
  private final Positions positions;
  private final int modelSize;
  private final int heads;
  private final int feedForwardSize;
  private final int numLayers;
  private final Map<String, double[]> parameters = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();

  private ReferenceTransformer(
      int vocabSize,
      int maxLength,
      Positions positions,
      int modelSize,
      int heads,
      int feedForwardSize,
      int numLayers) {
    if (modelSize <= 0 || heads <= 0 || feedForwardSize <= 0 || numLayers <= 0) {
      throw new IllegalArgumentException(
          "sizes must be positive: model "
              + modelSize
              + ", heads "
              + heads
              + ", feed-forward "
              + feedForwardSize
              + ", layers "
              + numLayers);
    }
    if (modelSize % heads != 0) {
      throw new IllegalArgumentException(
          heads + " heads do not divide the model size " + modelSize);
    }
    this.vocabSize = vocabSize;
    this.maxLength = maxLength;
    this.positions = positions;
    this.modelSize = modelSize;
    this.heads = heads;
    this.feedForwardSize = feedForwardSize;
    this.numLayers = numLayers;
    int d = modelSize, f = feedForwardSize;
    if (isDecoder()) {
      declare("token_embedding.weight", vocabSize, d);
      if (positions == Positions.LEARNED) declare("position_embedding.weight", maxLength, d);
    }
    for (int i = 0; i < numLayers; i++) {
      String p = "blocks." + i + ".";
      declare(p + "self_attn.in_proj_weight", 3 * d, d);
      declare(p + "self_attn.in_proj_bias", 3 * d);
      declare(p + "self_attn.out_proj.weight", d, d);
      declare(p + "self_attn.out_proj.bias", d);
      declare(p + "linear1.weight", f, d);
      declare(p + "linear1.bias", f);
      declare(p + "linear2.weight", d, f);
      declare(p + "linear2.bias", d);
      declareNorm(p + "norm1", d);
      declareNorm(p + "norm2", d);
    }
    if (isDecoder()) {
      declareNorm("final_norm", d);
      declare("head.weight", vocabSize, d);
      declare("head.bias", vocabSize);
    }
  }

  /**
   * A stack of {@code numLayers} blocks over vectors of size {@code modelSize}, with no embedding
   * or read-out. Every parameter is zero except the layer norms' weights, which are one as in
   * PyTorch; fill them through {@link #parameter(String)}.
   */
  public static ReferenceTransformer blocks(
      int modelSize, int heads, int feedForwardSize, int numLayers) {
    return new ReferenceTransformer(0, 0, null, modelSize, heads, feedForwardSize, numLayers);
  }

  /**
   * A decoder-style language model over {@code vocabSize} tokens and sequences of at most {@code
   * maxLength} steps, initialised as {@link #blocks}.
   */
  public static ReferenceTransformer decoder(
      int vocabSize,
      int maxLength,
      Positions positions,
      int modelSize,
      int heads,
      int feedForwardSize,
      int numLayers) {
    if (vocabSize <= 0 || maxLength <= 0) {
      throw new IllegalArgumentException(
          "sizes must be positive: vocabulary " + vocabSize + ", maxLength " + maxLength);
    }
    if (positions == null)
      throw new IllegalArgumentException("positions must be LEARNED or SINUSOIDAL");
    return new ReferenceTransformer(
        vocabSize, maxLength, positions, modelSize, heads, feedForwardSize, numLayers);
  }

  /**
   * The fixed sinusoidal position table {@code [maxLength, D]} of Vaswani et al. (2017): {@code
   * PE[p, 2i] = sin(p / 10000^(2i/D))}, {@code PE[p, 2i+1] = cos(p / 10000^(2i/D))}.
   */
  public static double[] sinusoidalTable(int maxLength, int modelSize) {
    double[] table = new double[maxLength * modelSize];
    for (int p = 0; p < maxLength; p++) {
      for (int c = 0; c < modelSize; c++) {
        int even = c - c % 2;
        double angle = p / Math.pow(10000, (double) even / modelSize);
        table[p * modelSize + c] = c % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    return table;
  }

  private void declare(String name, int... shape) {
    long size = 1;
    for (int d : shape) size *= d;
    parameters.put(name, new double[Math.toIntExact(size)]);
    shapes.put(name, shape);
  }

  private void declareNorm(String name, int size) {
    declare(name + ".weight", size);
    java.util.Arrays.fill(parameters.get(name + ".weight"), 1);
    declare(name + ".bias", size);
  }

  /** True for a {@link #decoder}, false for a bare stack of {@link #blocks}. */
  public boolean isDecoder() {
    return vocabSize > 0;
  }

  public int vocabSize() {
    return vocabSize;
  }

  public int maxLength() {
    return maxLength;
  }

  public Positions positions() {
    return positions;
  }

  public int modelSize() {
    return modelSize;
  }

  public int heads() {
    return heads;
  }

  public int headSize() {
    return modelSize / heads;
  }

  public int feedForwardSize() {
    return feedForwardSize;
  }

  public int numLayers() {
    return numLayers;
  }

  /** The parameter arrays by PyTorch name, in {@code state_dict} order (live, not copies). */
  public Map<String, double[]> parameters() {
    return parameters;
  }

  /** The live array of one parameter. */
  public double[] parameter(String name) {
    double[] p = parameters.get(name);
    if (p == null)
      throw new IllegalArgumentException(
          "no parameter '" + name + "'; have " + parameters.keySet());
    return p;
  }

  public int[] shape(String name) {
    int[] s = shapes.get(name);
    if (s == null) throw new IllegalArgumentException("no parameter '" + name + "'");
    return s.clone();
  }

  /**
   * The graph of one run of the blocks and the handles to everything in it.
   *
   * @param inputs the input leaves, one {@code [B, D]} per step: {@code inputs[t].grad()} is {@code
   *     ∂L/∂x_t}
   * @param blockOutputs {@code blockOutputs[k][t]}: block k's output {@code [B, D]} at step t; its
   *     gradient is the total derivative, as for a recurrent hidden state
   * @param attention {@code attention[k][b][j]}: the probabilities {@code [T, T]} (query t, key s)
   *     of head j of block k for sequence b
   * @param parameters the parameter leaves by name; their gradients fill on backward
   */
  public record Unrolled(
      Graph graph,
      Var[] inputs,
      Var[][] blockOutputs,
      Var[][][] attention,
      Map<String, Var> parameters) {

    public int steps() {
      return inputs.length;
    }

    /** The last block's output at step {@code t}, {@code [B, D]}. */
    public Var output(int t) {
      return blockOutputs[blockOutputs.length - 1][t];
    }

    /**
     * Builds the loss {@code L = Σ_t Σ output_t ⊙ dOutput_t}, whose gradient with respect to the
     * output is exactly {@code dOutput}, and back-propagates it. Returns L.
     *
     * @param dOutput {@code [T, B, D]} flattened
     */
    public double backward(double[] dOutput) {
      int perStep = output(0).value.length;
      if (dOutput.length != steps() * perStep) {
        throw new IllegalArgumentException(
            "dOutput has " + dOutput.length + " values, expected " + steps() * perStep);
      }
      Var loss = graph.leaf(new double[1], 1, 1);
      for (int t = 0; t < steps(); t++) {
        double[] slice = new double[perStep];
        System.arraycopy(dOutput, t * perStep, slice, 0, perStep);
        loss = graph.add(loss, graph.weightedSum(output(t), slice));
      }
      graph.backward(loss);
      return loss.value[0];
    }
  }

  /**
   * The graph of one run of the decoder.
   *
   * @param embedded {@code x_t = E[token_t] + P[t]}, one {@code [B, D]} per step: the blocks'
   *     input, whose gradient is {@code ∂L/∂x_t}
   * @param blockOutputs {@code blockOutputs[k][t]}, as in {@link Unrolled}
   * @param attention {@code attention[k][b][j]}, as in {@link Unrolled}
   * @param logits {@code [T*B, V]}, time-major
   * @param parameters the parameter leaves by name
   */
  public record UnrolledModel(
      Graph graph,
      Var[] embedded,
      Var[][] blockOutputs,
      Var[][][] attention,
      Var logits,
      Map<String, Var> parameters) {

    public int steps() {
      return embedded.length;
    }

    /**
     * Builds the mean cross entropy of the logits against {@code targets} ({@code [T, B]}
     * flattened; a negative target is ignored, as PyTorch's {@code ignore_index}) and
     * back-propagates it. Returns the loss.
     */
    public double backward(int[] targets) {
      Var loss = graph.crossEntropy(logits, targets);
      graph.backward(loss);
      return loss.value[0];
    }
  }

  /**
   * Runs the blocks over {@code input} ({@code [T, B, D]} flattened, time-major).
   *
   * @param lengths the valid length of each sequence ({@code B} values in {@code [1, T]}): keys at
   *     steps {@code s ≥ lengths[b]} are masked; null means every sequence is {@code T} long
   * @param causal whether step t attends only to steps {@code s ≤ t}
   */
  public Unrolled unrollBlocks(
      double[] input, int steps, int batch, int[] lengths, boolean causal) {
    requireSteps(steps, batch);
    if ((long) steps * batch * modelSize != input.length) {
      throw new IllegalArgumentException(
          "input has "
              + input.length
              + " values, expected ["
              + steps
              + ", "
              + batch
              + ", "
              + modelSize
              + "]");
    }
    Graph g = new Graph();
    Map<String, Var> leaves = parameterLeaves(g);
    Var[] inputs = new Var[steps];
    for (int t = 0; t < steps; t++) {
      double[] x = new double[batch * modelSize];
      System.arraycopy(input, t * batch * modelSize, x, 0, x.length);
      inputs[t] = g.leaf(x, batch, modelSize);
    }
    Var[][] outputs = new Var[numLayers][];
    Var[][][] attention = new Var[numLayers][][];
    runBlocks(
        g,
        leaves,
        inputs,
        batch,
        attentionMasks(steps, batch, lengths, causal),
        outputs,
        attention);
    return new Unrolled(g, inputs, outputs, attention, leaves);
  }

  /**
   * Runs the decoder over {@code tokens} ({@code [T, B]} flattened, time-major) with the causal
   * mask, and key padding by {@code lengths} as in {@link #unrollBlocks} (null for none).
   */
  public UnrolledModel unrollModel(int[] tokens, int steps, int batch, int[] lengths) {
    if (!isDecoder())
      throw new IllegalStateException("a stack of blocks has no embedding: use unrollBlocks");
    requireSteps(steps, batch);
    if (steps > maxLength) {
      throw new IllegalArgumentException(
          "a sequence of " + steps + " steps is longer than maxLength " + maxLength);
    }
    if ((long) steps * batch != tokens.length) {
      throw new IllegalArgumentException(
          "tokens has " + tokens.length + " values, expected [" + steps + ", " + batch + "]");
    }
    Graph g = new Graph();
    Map<String, Var> leaves = parameterLeaves(g);
    Var tokenTable = leaves.get("token_embedding.weight");
    // The sinusoidal table is a constant: a leaf whose gradient nobody reads.
    Var positionTable =
        positions == Positions.LEARNED
            ? leaves.get("position_embedding.weight")
            : g.leaf(sinusoidalTable(maxLength, modelSize), maxLength, modelSize);
    Var[] embedded = new Var[steps];
    for (int t = 0; t < steps; t++) {
      int[] ids = new int[batch];
      System.arraycopy(tokens, t * batch, ids, 0, batch);
      int[] position = new int[batch];
      java.util.Arrays.fill(position, t);
      embedded[t] = g.add(g.gatherRows(tokenTable, ids), g.gatherRows(positionTable, position));
    }
    Var[][] outputs = new Var[numLayers][];
    Var[][][] attention = new Var[numLayers][][];
    runBlocks(
        g,
        leaves,
        embedded,
        batch,
        attentionMasks(steps, batch, lengths, true),
        outputs,
        attention);
    Var last = g.concatRows(outputs[numLayers - 1]);
    Var normalized =
        g.layerNorm(
            last, leaves.get("final_norm.weight"), leaves.get("final_norm.bias"), LAYER_NORM_EPS);
    Var logits =
        g.addBias(
            g.matmulTransposed(normalized, leaves.get("head.weight")), leaves.get("head.bias"));
    return new UnrolledModel(g, embedded, outputs, attention, logits, leaves);
  }

  private static void requireSteps(int steps, int batch) {
    if (steps <= 0 || batch <= 0) {
      throw new IllegalArgumentException(
          "steps and batch must be positive: " + steps + ", " + batch);
    }
  }

  private Map<String, Var> parameterLeaves(Graph g) {
    Map<String, Var> leaves = new LinkedHashMap<>();
    for (var e : parameters.entrySet()) {
      int[] s = shapes.get(e.getKey());
      leaves.put(
          e.getKey(),
          s.length == 2 ? g.leaf(e.getValue(), s[0], s[1]) : g.leaf(e.getValue(), 1, s[0]));
    }
    return leaves;
  }

  /**
   * One {@code [T, T]} mask per sequence, {@code allowed[t*T + s]}: query t may attend to key s.
   * Null when nothing is masked. Every row keeps at least key 0, since lengths are at least 1.
   */
  private static boolean[][] attentionMasks(int steps, int batch, int[] lengths, boolean causal) {
    if (lengths != null) {
      if (lengths.length != batch) {
        throw new IllegalArgumentException(
            "lengths has " + lengths.length + " values for a batch of " + batch);
      }
      for (int b = 0; b < batch; b++) {
        if (lengths[b] < 1 || lengths[b] > steps) {
          throw new IllegalArgumentException(
              "lengths[" + b + "] = " + lengths[b] + " outside [1, " + steps + "]");
        }
      }
    }
    if (lengths == null && !causal) return null;
    boolean[][] masks = new boolean[batch][steps * steps];
    for (int b = 0; b < batch; b++) {
      int length = lengths == null ? steps : lengths[b];
      for (int t = 0; t < steps; t++) {
        for (int s = 0; s < length && (!causal || s <= t); s++) masks[b][t * steps + s] = true;
      }
    }
    return masks;
  }

  /**
   * Runs every block, filling {@code outputs[k]} (one {@code [B, D]} per step) and {@code
   * attention[k]}.
   */
  private void runBlocks(
      Graph g,
      Map<String, Var> leaves,
      Var[] inputs,
      int batch,
      boolean[][] masks,
      Var[][] outputs,
      Var[][][] attention) {
    Var[] x = inputs;
    for (int k = 0; k < numLayers; k++) {
      attention[k] = new Var[batch][heads];
      x = block(g, leaves, "blocks." + k + ".", x, batch, masks, attention[k]);
      outputs[k] = x;
    }
  }

  /** One pre-norm block over the steps {@code input[t] [B, D]}; returns its output per step. */
  private Var[] block(
      Graph g,
      Map<String, Var> p,
      String prefix,
      Var[] input,
      int batch,
      boolean[][] masks,
      Var[][] attention) {
    int steps = input.length, d = modelSize, dh = headSize();
    // Row-wise operations (norms, projections, feed-forward) run on all T*B rows at once; only
    // attention mixes rows, and only within one sequence.
    Var x = g.concatRows(input); // [T*B, D]
    Var n1 =
        g.layerNorm(
            x, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"), LAYER_NORM_EPS);
    Var qkv =
        g.addBias(
            g.matmulTransposed(n1, p.get(prefix + "self_attn.in_proj_weight")),
            p.get(prefix + "self_attn.in_proj_bias")); // [T*B, 3D]
    Var[] perSequence = new Var[batch];
    for (int b = 0; b < batch; b++) {
      int[] rowsOfSequence = new int[steps];
      for (int t = 0; t < steps; t++) rowsOfSequence[t] = t * batch + b;
      Var qkvB = g.gatherRows(qkv, rowsOfSequence); // [T, 3D]
      Var[] headOutputs = new Var[heads];
      for (int j = 0; j < heads; j++) {
        Var q = g.columns(qkvB, j * dh, (j + 1) * dh); // [T, dh]
        Var key = g.columns(qkvB, d + j * dh, d + (j + 1) * dh);
        Var v = g.columns(qkvB, 2 * d + j * dh, 2 * d + (j + 1) * dh);
        Var scores = g.scale(g.matmulTransposed(q, key), 1 / Math.sqrt(dh)); // [T, T]
        Var probabilities = g.softmaxRows(scores, masks == null ? null : masks[b]);
        attention[b][j] = probabilities;
        headOutputs[j] = g.matmul(probabilities, v); // [T, dh]
      }
      perSequence[b] = g.concatColumns(headOutputs); // [T, D]
    }
    // Back from sequence-major (row b*T + t) to time-major (row t*B + b).
    int[] timeMajor = new int[steps * batch];
    for (int t = 0; t < steps; t++)
      for (int b = 0; b < batch; b++) timeMajor[t * batch + b] = b * steps + t;
    Var joined = g.gatherRows(g.concatRows(perSequence), timeMajor); // [T*B, D]
    Var attended =
        g.addBias(
            g.matmulTransposed(joined, p.get(prefix + "self_attn.out_proj.weight")),
            p.get(prefix + "self_attn.out_proj.bias"));
    Var y = g.add(x, attended);
    Var n2 =
        g.layerNorm(
            y, p.get(prefix + "norm2.weight"), p.get(prefix + "norm2.bias"), LAYER_NORM_EPS);
    Var hidden =
        g.gelu(
            g.addBias(
                g.matmulTransposed(n2, p.get(prefix + "linear1.weight")),
                p.get(prefix + "linear1.bias"))); // [T*B, F]
    Var z =
        g.add(
            y,
            g.addBias(
                g.matmulTransposed(hidden, p.get(prefix + "linear2.weight")),
                p.get(prefix + "linear2.bias")));
    Var[] output = new Var[steps];
    for (int t = 0; t < steps; t++) output[t] = g.rows(z, t * batch, (t + 1) * batch);
    return output;
  }
}
