package io.salientstream.core.policy;

import java.util.ArrayList;
import java.util.Arrays;
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

  /**
   * The keep bits per matrix of {@code layout}, in layout order: a triplet mask split at the
   * layout's offsets (r_k bits each), an entry mask as it is (r_k·d_in bits each). This is what a
   * trainer sets on each adapter.
   *
   * @throws IllegalArgumentException naming the sizes when the mask does not fit the layout
   */
  List<boolean[]> byMatrix(AdapterLayout layout);

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
    public List<boolean[]> byMatrix(AdapterLayout layout) {
      if (keep.length != layout.totalRank()) {
        throw new IllegalArgumentException(
            "triplet mask of "
                + keep.length
                + " bits, the layout has "
                + layout.totalRank()
                + " triplets");
      }
      int[] off = layout.offsets();
      List<boolean[]> out = new ArrayList<>(layout.size());
      for (int k = 0; k < layout.size(); k++) {
        out.add(Arrays.copyOfRange(keep, off[k], off[k + 1]));
      }
      return out;
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
    public List<boolean[]> byMatrix(AdapterLayout layout) {
      if (perMatrix.size() != layout.size()) {
        throw new IllegalArgumentException(
            "entry mask of " + perMatrix.size() + " matrices, the layout has " + layout.size());
      }
      for (int k = 0; k < layout.size(); k++) {
        AdapterLayout.Matrix m = layout.matrix(k);
        int expected = m.initialRank() * m.dIn();
        if (perMatrix.get(k).length != expected) {
          throw new IllegalArgumentException(
              "entry mask of matrix "
                  + k
                  + " '"
                  + m.name()
                  + "' has "
                  + perMatrix.get(k).length
                  + " bits, rank "
                  + m.initialRank()
                  + " x dIn "
                  + m.dIn()
                  + " is "
                  + expected);
        }
      }
      return perMatrix();
    }

    @Override
    public int keptCount() {
      int c = 0;
      for (boolean[] m : perMatrix) for (boolean b : m) if (b) c++;
      return c;
    }
  }
}
