package io.salientstream.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A decision's mask per matrix of a layout, as a trainer sets it on its adapters. */
class MaskUpdateTest {

  private static final AdapterLayout LAYOUT =
      new AdapterLayout(
          List.of(
              new AdapterLayout.Matrix("q", 0, 4, 3, 2),
              new AdapterLayout.Matrix("v", 0, 4, 2, 3)));

  @Test
  void aTripletMaskIsSplitAtTheLayoutsOffsets() {
    MaskUpdate m = new MaskUpdate.TripletMask(new boolean[] {true, false, false, true, true});

    List<boolean[]> byMatrix = m.byMatrix(LAYOUT);

    assertThat(byMatrix).hasSize(2);
    assertThat(byMatrix.get(0)).containsExactly(true, false);
    assertThat(byMatrix.get(1)).containsExactly(false, true, true);
  }

  @Test
  void anEntryMaskIsPerMatrixAlready() {
    boolean[] q = {true, false, true, false, true, false}; // 2 x 3
    boolean[] v = {false, false, true, true, false, true}; // 3 x 2
    List<boolean[]> byMatrix = new MaskUpdate.EntryMask(List.of(q, v)).byMatrix(LAYOUT);

    assertThat(byMatrix.get(0)).containsExactly(q);
    assertThat(byMatrix.get(1)).containsExactly(v);
  }

  @Test
  void aMaskThatDoesNotFitTheLayoutIsRefusedNamingTheSizes() {
    assertThatThrownBy(() -> new MaskUpdate.TripletMask(new boolean[4]).byMatrix(LAYOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4 bits")
        .hasMessageContaining("5 triplets");
    assertThatThrownBy(
            () ->
                new MaskUpdate.EntryMask(List.of(new boolean[6], new boolean[5])).byMatrix(LAYOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("matrix 1 'v' has 5 bits, rank 3 x dIn 2 is 6");
    assertThatThrownBy(() -> new MaskUpdate.EntryMask(List.of(new boolean[6])).byMatrix(LAYOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 matrices, the layout has 2");
  }
}
