package io.salientstream.core.policy;

import java.util.List;

/**
 * A new mask decided by a policy. Two shapes exist:
 *
 * <ul>
 *   <li>{@link TripletMask}: one keep bit per SVD triplet in global order (SalientLoRA, AdaLoRA). A
 *       0 bit means "set λ to 0"; P and Q stay as they are (spec §1: pruning is masking).
 *   <li>{@link EntryMask}: one keep bit per entry of each matrix's A (PRILoRA, spec §4), row-major
 *       r_k × d_in.
 * </ul>
 */
public sealed interface MaskUpdate permits MaskUpdate.TripletMask, MaskUpdate.EntryMask {

  /** Number of kept units (triplets or A entries). */
  int keptCount();

  /** Keep bits per triplet, N = {@link AdapterLayout#totalRank()} entries in global order. */
  record TripletMask(boolean[] keep) implements MaskUpdate {
    public TripletMask {
      keep = keep.clone();
    }

    @Override
    public boolean[] keep() {
      return keep.clone();
    }

    public boolean kept(int i) {
      return keep[i];
    }

    public int size() {
      return keep.length;
    }

    @Override
    public int keptCount() {
      int c = 0;
      for (boolean b : keep) if (b) c++;
      return c;
    }
  }

  /**
   * Keep bits per entry of A, one row-major {@code r_k × d_in} array per matrix in layout order.
   */
  record EntryMask(List<boolean[]> perMatrix) implements MaskUpdate {
    public EntryMask {
      perMatrix = perMatrix.stream().map(boolean[]::clone).toList();
    }

    @Override
    public List<boolean[]> perMatrix() {
      return perMatrix.stream().map(boolean[]::clone).toList();
    }

    @Override
    public int keptCount() {
      int c = 0;
      for (boolean[] m : perMatrix) for (boolean b : m) if (b) c++;
      return c;
    }
  }
}
