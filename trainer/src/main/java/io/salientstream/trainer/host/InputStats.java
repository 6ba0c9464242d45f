package io.salientstream.trainer.host;

/**
 * PRILoRA inputs of one plain-LoRA matrix after a step.
 *
 * @param absA |A| entries, row-major [r, d_in]
 * @param inputNormEma per input feature j, the EMA over steps of ‖X[:, j]‖₂ over all tokens of the
 *     batch (collected by a forward hook on the adapted layer)
 */
public record InputStats(double[] absA, double[] inputNormEma) {}
