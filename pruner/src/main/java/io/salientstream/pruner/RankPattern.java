package io.salientstream.pruner;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * An experiment's current rank pattern as the pruner last commanded it.
 *
 * @param runId         run the last command was addressed to
 * @param epoch         its epoch
 * @param sequence      sequence number of the last command (0: none yet); strictly increasing per experiment
 * @param decidedAtStep decision step of the last command (-1: none)
 * @param applyAtStep   step from which the last command applies (-1: none)
 * @param keep          keep bit per singular value, global order
 * @param fingerprint   registration the pattern belongs to
 */
public record RankPattern(String runId, int epoch, long sequence, long decidedAtStep, long applyAtStep, boolean[] keep,
                          long fingerprint) {

  public static RankPattern initial(int n, long fingerprint) {
    boolean[] all = new boolean[n];
    java.util.Arrays.fill(all, true);
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

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + keep.length);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(runId);
      out.writeInt(epoch);
      out.writeLong(sequence);
      out.writeLong(decidedAtStep);
      out.writeLong(applyAtStep);
      out.writeLong(fingerprint);
      out.writeInt(keep.length);
      for (boolean b : keep) {
        out.writeBoolean(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static RankPattern decode(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      String run = in.readUTF();
      int epoch = in.readInt();
      long seq = in.readLong();
      long decided = in.readLong();
      long apply = in.readLong();
      long fp = in.readLong();
      boolean[] keep = new boolean[in.readInt()];
      for (int i = 0; i < keep.length; i++) {
        keep[i] = in.readBoolean();
      }
      return new RankPattern(run, epoch, seq, decided, apply, keep, fp);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt rank pattern", e);
    }
  }
}
