package org.seqlab.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.tensor.Tensor;

/** Something with parameters: a layer or a model. */
public interface Module {

  /** The parameters in PyTorch's {@code state_dict} order, with PyTorch's names. */
  List<Parameter> parameters();

  default void zeroGrad() {
    for (Parameter p : parameters()) p.zeroGrad();
  }

  /** The parameter values by name, as {@code state_dict()} lists them. */
  default Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Parameter p : parameters()) out.put(p.name(), p.value());
    return out;
  }

  /**
   * Copies values from {@code state} into this module's parameters. Every parameter must be present
   * with the right shape, and {@code state} must hold nothing else, as PyTorch's strict {@code
   * load_state_dict} demands.
   */
  default void loadStateDict(Map<String, Tensor> state) {
    List<Parameter> params = parameters();
    for (Parameter p : params) {
      Tensor t = state.get(p.name());
      if (t == null) throw new IllegalArgumentException("missing tensor '" + p.name() + "'");
      t.requireShape(p.name(), p.value().shape());
    }
    for (String key : state.keySet()) {
      if (params.stream().noneMatch(p -> p.name().equals(key))) {
        throw new IllegalArgumentException("unexpected tensor '" + key + "'");
      }
    }
    for (Parameter p : params) {
      System.arraycopy(state.get(p.name()).data(), 0, p.value().data(), 0, p.value().size());
    }
  }

  /** Total number of trainable scalars. */
  default long parameterCount() {
    long n = 0;
    for (Parameter p : parameters()) n += p.value().size();
    return n;
  }
}
