/**
 * Measurements of a model beside training: {@link org.seqlab.probe.GradientFlow} follows the
 * gradient of a loss on the last step back through every earlier step of a recurrent network (in
 * double precision, on the {@code nn.reference} models), and {@link org.seqlab.probe.Spectral}
 * gives the spectral quantities of a recurrent weight matrix that decide whether it vanishes or
 * explodes. What the numbers mean in words is the views' ({@code view.GradientVerdict}).
 *
 * <p>May import {@code nn} and {@code nn.reference} only (and EJML for the eigenvalues); not {@code
 * train}, {@code io}, {@code experiments}, the views or the faces.
 */
package org.seqlab.probe;
