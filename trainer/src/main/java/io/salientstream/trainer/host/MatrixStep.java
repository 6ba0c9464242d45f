package io.salientstream.trainer.host;

/**
 * One adapted matrix in a {@link StepEvent}.
 *
 * @param name HuggingFace module path, e.g. {@code encoder.layer.3.attention.self.query}
 * @param layer transformer layer (0-based)
 * @param singularValues the r_k values λ after this step's update and masking (SVD adapters); null
 *     for plain LoRA
 * @param keep the keep bits in force: one per triplet (SVD) or one per entry of A, row-major (LoRA)
 */
public record MatrixStep(String name, int layer, double[] singularValues, boolean[] keep) {}
