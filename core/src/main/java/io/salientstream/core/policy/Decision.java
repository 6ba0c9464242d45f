package io.salientstream.core.policy;

/**
 * One allocation decision: a new mask and the budget it realises.
 *
 * <p><b>When it takes effect.</b> The host applies {@link #mask()} starting with step {@link
 * #effectiveFrom()}: after that step's optimizer update it multiplies the parameters by the mask.
 * SalientLoRA decides at a window end s and the mask is effective from s+1 (spec §2.2 step 4c);
 * AdaLoRA and PRILoRA masks are effective at the step they are decided (spec §3.4, peft {@code
 * update_and_allocate}).
 *
 * <p><b>How long it stays in force.</b> If {@link #persistent()} is true the host re-applies the
 * mask after every optimizer step until the next decision replaces it (SalientLoRA always;
 * AdaLoRA's forced final mask; PRILoRA without regrowth). If false the host applies it once at
 * {@code effectiveFrom} and gradients may revive masked values until the next decision (AdaLoRA
 * between mask steps, PRILoRA with regrowth).
 *
 * @param decidedAt the step at which the policy computed the decision
 * @param effectiveFrom the first step whose post-update parameters are masked
 * @param budget the budget the mask realises: kept triplets (SalientLoRA, AdaLoRA) or kept A
 *     entries (PRILoRA)
 * @param persistent whether the mask is re-applied after every step (see above)
 * @param mask the new mask
 * @param diagnostics what the decision was based on
 */
public record Decision(
    long decidedAt,
    long effectiveFrom,
    int budget,
    boolean persistent,
    MaskUpdate mask,
    Diagnostics diagnostics) {}
