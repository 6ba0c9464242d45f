package io.salientstream.loop;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.trainer.host.MaskCommand;
import java.util.List;
import java.util.Optional;
import java.util.function.LongPredicate;

/**
 * What a trainer checks of every command addressed to its run (right experiment, run id and epoch)
 * before applying it — beyond the ACL that lets only the pruner write commands, since run id and
 * epoch can be read off the run's own events and copied:
 *
 * <ol>
 *   <li>it is decided at a step where the experiment's policy decides, that this run has already
 *       reached, and after the decision last applied;
 *   <li>it applies at its decision step or the one after (the policies' {@code effectiveFrom});
 *   <li>it has one mask per registered matrix, of the registration's size and the policy's kind
 *       (keep bits per singular value, or packed entry bits of r·d_in);
 *   <li>it keeps no more units than the policy's budget at its decision step;
 *   <li>when the policy never revives a pruned unit, it keeps nothing the last applied command
 *       pruned, and its mask is persistent.
 * </ol>
 *
 * Sequence numbers are checked by {@link ExperimentClient} (above the last applied one, and the
 * next one once the run has applied a command). A command that fails is refused — counted and
 * reported, never applied, and it changes nothing that later commands are checked against.
 *
 * <p>What this cannot tell apart: a well-formed command for a decision still to come that keeps at
 * most the budget. Only the pruner's principal may write the commands topic for that reason (see
 * the README's security section).
 */
public final class CommandCheck {

  private final ExperimentSpec spec;
  private final RankPolicy shape;
  private final LongPredicate decidesAt;
  private final boolean entries;
  private long lastDecidedAt = -1;
  private boolean[] lastKeep; // flat; null until a command is applied

  public CommandCheck(ExperimentSpec spec, LongPredicate decidesAt) {
    this.spec = spec;
    this.shape = PolicySpecs.create(spec);
    this.decidesAt = decidesAt;
    this.entries = shape.maskKind() == RankPolicy.MaskKind.ENTRY;
  }

  /**
   * Why {@code c} must not be applied by a run that has emitted steps up to {@code lastStep}, or
   * empty when it may.
   */
  public Optional<String> refusal(RankPruneCommand c, long lastStep) {
    long d = c.getDecidedAtStep();
    if (!decidesAt.test(d)) {
      return why(c, "step " + d + " is not a decision step of policy " + shape.name());
    }
    if (d > lastStep) {
      return why(c, "decided at step " + d + ", but this run has only reached step " + lastStep);
    }
    if (d <= lastDecidedAt) {
      return why(c, "the decision at step " + lastDecidedAt + " was already applied");
    }
    long a = c.getApplyAtStep();
    if (a != d && a != d + 1) {
      return why(c, "applies at step " + a + ", not at its decision step " + d + " or the next");
    }
    List<MatrixMask> masks = c.getMasks();
    List<AdaptedMatrix> matrices = spec.getMatrices();
    if (masks.size() != matrices.size()) {
      return why(
          c, masks.size() + " masks for the registration's " + matrices.size() + " matrices");
    }
    for (int j = 0; j < masks.size(); j++) {
      MatrixMask m = masks.get(j);
      AdaptedMatrix a2 = matrices.get(j);
      if (entries != (m.getEntries() != null)) {
        return why(
            c,
            "matrix "
                + j
                + (entries ? " has no entry mask" : " has an entry mask")
                + " but policy "
                + shape.name()
                + (entries ? " masks entries" : " masks singular values"));
      }
      if (!entries && m.getKeep().size() != a2.getInitialRank()) {
        return why(
            c,
            "matrix "
                + j
                + " mask of "
                + m.getKeep().size()
                + " bits for rank "
                + a2.getInitialRank());
      }
    }
    boolean[] keep;
    try {
      keep = flat(KafkaAllocationHost.toMaskCommand(c, spec));
    } catch (IllegalArgumentException e) {
      return why(c, e.getMessage());
    }
    int kept = 0;
    for (boolean k : keep) {
      kept += k ? 1 : 0;
    }
    int budget = shape.budgetAt(d);
    if (kept > budget) {
      return why(
          c,
          "keeps "
              + kept
              + (entries ? " A entries" : " singular values")
              + ", above the budget "
              + budget
              + " at step "
              + d);
    }
    if (!shape.mayRevive()) {
      if (!c.getPersistent()) {
        return why(c, "not persistent, but policy " + shape.name() + " never revives");
      }
      if (lastKeep != null) {
        for (int i = 0; i < keep.length; i++) {
          if (keep[i] && !lastKeep[i]) {
            return why(
                c,
                "keeps unit "
                    + i
                    + ", pruned before, and policy "
                    + shape.name()
                    + " never revives a pruned unit");
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Records {@code c} as applied: later commands are checked against it. */
  public void applied(RankPruneCommand c) {
    lastDecidedAt = c.getDecidedAtStep();
    lastKeep = flat(KafkaAllocationHost.toMaskCommand(c, spec));
  }

  private static boolean[] flat(MaskCommand m) {
    int n = 0;
    for (boolean[] k : m.keep()) {
      n += k.length;
    }
    boolean[] out = new boolean[n];
    int at = 0;
    for (boolean[] k : m.keep()) {
      System.arraycopy(k, 0, out, at, k.length);
      at += k.length;
    }
    return out;
  }

  private static Optional<String> why(RankPruneCommand c, String reason) {
    return Optional.of(
        "command "
            + io.salientstream.http.HardenedHttpServer.clip(c.getCommandId())
            + " (sequence "
            + c.getSequence()
            + "): "
            + reason);
  }
}
