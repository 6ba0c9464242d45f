package io.salientstream.analyzer;

import io.salientstream.core.policy.BinaryState;
import java.util.Arrays;

/**
 * The small per-experiment record the analyzer rewrites on every step (tens of bytes, never the
 * window).
 *
 * <p>The analyzer keeps the policy snapshots of the last few snapshot points ({@code
 * retainedSteps}, ascending; -1 stands for the fresh policy, which needs no stored bytes) and every
 * window row after the oldest of them, so a trainer resumed from a checkpoint anywhere after the
 * oldest can be followed (see {@link #rewoundTo}). The newest retained snapshot is the current one:
 * the live policy is that snapshot plus the rows after it.
 *
 * @param runId trainer run currently followed
 * @param epoch its epoch; events of lower epochs are stale
 * @param lastStep last step fed to the policy (-1 before the first)
 * @param retainedSteps steps after which the retained snapshots were taken, ascending (first may be
 *     -1: fresh)
 * @param retainedWindows decisions (window ends) made up to and including each retained snapshot
 * @param fingerprint hash of the registration the state belongs to; a changed registration resets
 *     the state
 */
public record ExperimentHeader(
    String runId,
    int epoch,
    long lastStep,
    long[] retainedSteps,
    int[] retainedWindows,
    long fingerprint) {

  public ExperimentHeader {
    if (retainedSteps.length == 0 || retainedSteps.length != retainedWindows.length) {
      throw new IllegalArgumentException(
          "a header retains at least one snapshot point, with its window count");
    }
  }

  public static ExperimentHeader fresh(String runId, int epoch, long fingerprint) {
    return new ExperimentHeader(runId, epoch, -1, new long[] {-1}, new int[] {0}, fingerprint);
  }

  /** Step of the current (newest) snapshot; -1: the fresh policy. */
  public long snapshotStep() {
    return retainedSteps[retainedSteps.length - 1];
  }

  /** Step of the oldest retained snapshot: a run can resume at any step after it. */
  public long oldestSnapshotStep() {
    return retainedSteps[0];
  }

  /** Rows stored after the current snapshot (replayed on restore); steps are consecutive. */
  public int rowsSinceSnapshot() {
    return (int) (lastStep - snapshotStep());
  }

  /** Number of decisions (window ends) so far. */
  public int windowIndex() {
    return retainedWindows[retainedWindows.length - 1];
  }

  public ExperimentHeader afterStep(long step) {
    return new ExperimentHeader(runId, epoch, step, retainedSteps, retainedWindows, fingerprint);
  }

  /**
   * The header after a snapshot taken at {@code step}; the oldest snapshot point is dropped when
   * more than {@code retain} would be kept (the caller deletes its bytes and the rows up to the
   * next one).
   */
  public ExperimentHeader afterSnapshot(long step, boolean decision, int retain) {
    int keep = Math.min(retainedSteps.length, retain - 1);
    int from = retainedSteps.length - keep;
    long[] steps =
        Arrays.copyOf(Arrays.copyOfRange(retainedSteps, from, retainedSteps.length), keep + 1);
    int[] windows =
        Arrays.copyOf(Arrays.copyOfRange(retainedWindows, from, retainedWindows.length), keep + 1);
    steps[keep] = step;
    windows[keep] = windowIndex() + (decision ? 1 : 0);
    return new ExperimentHeader(runId, epoch, step, steps, windows, fingerprint);
  }

  /**
   * The header as it was after {@code step}, for a run resuming after it: the newest retained
   * snapshot at or before {@code step} becomes the current one; the later ones are dropped (the
   * caller deletes their bytes and the rows after {@code step}).
   *
   * @throws IllegalArgumentException if {@code step} is before the oldest retained snapshot or
   *     after the last step
   */
  public ExperimentHeader rewoundTo(long step) {
    if (step < oldestSnapshotStep() || step > lastStep) {
      throw new IllegalArgumentException(
          "cannot rewind to step "
              + step
              + ": the oldest snapshot is at step "
              + oldestSnapshotStep()
              + ", the last step is "
              + lastStep);
    }
    int n = 0;
    while (n < retainedSteps.length && retainedSteps[n] <= step) {
      n++;
    }
    return new ExperimentHeader(
        runId,
        epoch,
        step,
        Arrays.copyOf(retainedSteps, n),
        Arrays.copyOf(retainedWindows, n),
        fingerprint);
  }

  public ExperimentHeader withRun(String newRunId, int newEpoch) {
    return new ExperimentHeader(
        newRunId, newEpoch, lastStep, retainedSteps, retainedWindows, fingerprint);
  }

  /** The stored layout (type {@code EXH}, version 1), in the analyzer's headers store. */
  public static final BinaryState.Format FORMAT =
      new BinaryState.Format("EXH", 1, "analyzer experiment header");

  public byte[] encode() {
    BinaryState.Writer w =
        FORMAT
            .writer(64 + runId.length() * 3 + 12 * retainedSteps.length)
            .putString(runId)
            .putInt(epoch)
            .putLong(lastStep)
            .putLong(fingerprint)
            .putInt(retainedSteps.length);
    for (int i = 0; i < retainedSteps.length; i++) {
      w.putLong(retainedSteps[i]).putInt(retainedWindows[i]);
    }
    return w.toBytes();
  }

  /**
   * @throws IllegalArgumentException naming the layout versions, or the field, when the bytes
   *     cannot be read
   */
  public static ExperimentHeader decode(byte[] b) {
    BinaryState.Reader in = FORMAT.reader(b);
    String runId = in.getString();
    int epoch = in.getInt();
    long lastStep = in.getLong();
    long fingerprint = in.getLong();
    int n = in.getInt();
    if (n < 1 || n > 1024) {
      throw new IllegalArgumentException(FORMAT.what() + ": retains " + n + " snapshot points");
    }
    long[] steps = new long[n];
    int[] windows = new int[n];
    for (int i = 0; i < n; i++) {
      steps[i] = in.getLong();
      windows[i] = in.getInt();
    }
    in.requireEnd();
    return new ExperimentHeader(runId, epoch, lastStep, steps, windows, fingerprint);
  }
}
