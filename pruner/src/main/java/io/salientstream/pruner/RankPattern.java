package io.salientstream.pruner;

import io.salientstream.core.policy.BinaryState;
import java.util.Arrays;

/**
 * An experiment's current rank pattern as the pruner last commanded it.
 *
 * @param runId run the last command was addressed to
 * @param epoch its epoch
 * @param sequence sequence number of the last command (0: none yet); strictly increasing per
 *     experiment
 * @param decidedAtStep decision step of the last command (-1: none)
 * @param applyAtStep step from which the last command applies (-1: none)
 * @param keep keep bit per singular value, global order
 * @param fingerprint registration the pattern belongs to
 */
public record RankPattern(
    String runId,
    int epoch,
    long sequence,
    long decidedAtStep,
    long applyAtStep,
    boolean[] keep,
    long fingerprint) {

  public static RankPattern initial(int n, long fingerprint) {
    boolean[] all = new boolean[n];
    Arrays.fill(all, true);
    return new RankPattern("", -1, 0, -1, -1, all, fingerprint);
  }

  public int totalRank() {
    int c = 0;
    for (boolean b : keep) {
      if (b) {
        c++;
      }
    }
    return c;
  }

  /**
   * The stored layout (type {@code RKP}, version 1), in the pruner's pattern and history stores.
   */
  public static final BinaryState.Format FORMAT =
      new BinaryState.Format("RKP", 1, "pruner rank pattern");

  public byte[] encode() {
    return FORMAT
        .writer(64 + runId.length() * 3 + keep.length / 8)
        .putString(runId)
        .putInt(epoch)
        .putLong(sequence)
        .putLong(decidedAtStep)
        .putLong(applyAtStep)
        .putLong(fingerprint)
        .putBooleans(keep)
        .toBytes();
  }

  /**
   * @throws IllegalArgumentException naming the layout versions, or the field, when the bytes
   *     cannot be read
   */
  public static RankPattern decode(byte[] b) {
    BinaryState.Reader in = FORMAT.reader(b);
    String run = in.getString();
    int epoch = in.getInt();
    long seq = in.getLong();
    long decided = in.getLong();
    long apply = in.getLong();
    long fp = in.getLong();
    boolean[] keep = in.getBooleans();
    in.requireEnd();
    if (keep == null) {
      throw new IllegalArgumentException(FORMAT.what() + ": no keep mask");
    }
    return new RankPattern(run, epoch, seq, decided, apply, keep, fp);
  }
}
