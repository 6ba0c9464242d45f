package io.salientstream.trainer.adapter;

/** Which low-rank update an adapted matrix carries. */
public enum AdapterKind {
  /** SVD form P·(Λ⊙Q) with per-triplet masks (SalientLoRA, AdaLoRA); exported as PEFT "ADALORA". */
  SVD,
  /** Plain LoRA B·A with an entry mask on A (PRILoRA, fixed-rank LoRA); exported as PEFT "LORA". */
  LORA,
  /** No adapter: the matrix stays frozen (linear-probe baseline). */
  NONE
}
