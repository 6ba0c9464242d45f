package io.salientstream.analyzer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The small per-experiment record the analyzer rewrites on every step (tens of bytes, never the window).
 *
 * @param runId             trainer run currently followed
 * @param epoch             its epoch; events of lower epochs are stale
 * @param lastStep          last step fed to the policy (-1 before the first)
 * @param snapshotStep      step after which the stored policy snapshot was taken (-1: fresh policy)
 * @param rowsSinceSnapshot rows stored after the snapshot (replayed on restore)
 * @param windowIndex       number of decisions (window ends) so far
 * @param fingerprint       hash of the registration the state belongs to; a changed registration resets the state
 */
public record ExperimentHeader(String runId, int epoch, long lastStep, long snapshotStep, int rowsSinceSnapshot,
                               int windowIndex, long fingerprint) {

  public static ExperimentHeader fresh(String runId, int epoch, long fingerprint) {
    return new ExperimentHeader(runId, epoch, -1, -1, 0, 0, fingerprint);
  }

  public ExperimentHeader afterStep(long step) {
    return new ExperimentHeader(runId, epoch, step, snapshotStep, rowsSinceSnapshot + 1, windowIndex, fingerprint);
  }

  public ExperimentHeader afterSnapshot(long step, boolean decision) {
    return new ExperimentHeader(runId, epoch, step, step, 0, windowIndex + (decision ? 1 : 0), fingerprint);
  }

  /** The header as it was after {@code step}, a step between the snapshot and the last step (a resumed run). */
  public ExperimentHeader rewoundTo(long step) {
    if (step < snapshotStep || step > lastStep) {
      throw new IllegalArgumentException("cannot rewind to step " + step + ": the snapshot is at step " + snapshotStep
          + ", the last step is " + lastStep);
    }
    return new ExperimentHeader(runId, epoch, step, snapshotStep, (int) (step - snapshotStep), windowIndex, fingerprint);
  }

  public ExperimentHeader withRun(String newRunId, int newEpoch) {
    return new ExperimentHeader(newRunId, newEpoch, lastStep, snapshotStep, rowsSinceSnapshot, windowIndex, fingerprint);
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(runId);
      out.writeInt(epoch);
      out.writeLong(lastStep);
      out.writeLong(snapshotStep);
      out.writeInt(rowsSinceSnapshot);
      out.writeInt(windowIndex);
      out.writeLong(fingerprint);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static ExperimentHeader decode(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      return new ExperimentHeader(in.readUTF(), in.readInt(), in.readLong(), in.readLong(), in.readInt(), in.readInt(), in.readLong());
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt experiment header", e);
    }
  }
}
