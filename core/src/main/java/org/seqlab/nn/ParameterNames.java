package org.seqlab.nn;

import java.util.ArrayList;
import java.util.List;

/** Builds the dotted {@code state_dict} names of modules nested inside others. */
final class ParameterNames {
  private ParameterNames() {}

  /**
   * The same parameters (sharing value and gradient tensors) renamed {@code prefix + name}, e.g.
   * {@code weight} of a block's first norm becomes {@code norm1.weight}.
   */
  static List<Parameter> prefixed(String prefix, List<Parameter> parameters) {
    List<Parameter> out = new ArrayList<>(parameters.size());
    for (Parameter p : parameters) out.add(new Parameter(prefix + p.name(), p.value(), p.grad()));
    return out;
  }
}
