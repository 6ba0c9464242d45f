package io.salientstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Diagnostics;
import io.salientstream.core.policy.MaskUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint's queue of pending decisions (layout version 3: core {@link Decision}s): both mask
 * shapes come back with their steps, budget and persistence; a checkpoint of another layout version
 * is refused by its version.
 */
class TrainerCheckpointTest {

  @Test
  void pendingDecisionsOfBothMaskShapesSurviveACheckpoint(@TempDir Path dir) throws IOException {
    Decision triplets =
        new Decision(
            40,
            41,
            3,
            true,
            new MaskUpdate.TripletMask(
                new boolean[] {true, false, true, false, false, true, false}),
            Diagnostics.ofScores(0.5, new double[] {1, 2, 3}));
    Decision entries =
        new Decision(
            60,
            60,
            4,
            false,
            new MaskUpdate.EntryMask(
                List.of(
                    new boolean[] {true, true, false, false, false, false, false, false, true},
                    new boolean[] {false, true})),
            Diagnostics.none());
    TrainerCheckpoint.State state =
        new TrainerCheckpoint.State(
            42, 7, 42, true, "policy-x", List.of(), List.of(triplets, entries), null, Map.of());
    TrainerCheckpoint.save(dir, List.of(), List.of(), state);

    TrainerCheckpoint.State back =
        TrainerCheckpoint.restore(dir, List.of(), List.of(), 7, "policy-x");

    assertThat(back.pending()).hasSize(2);
    Decision t = back.pending().get(0);
    assertThat(List.of(t.decidedAt(), t.effectiveFrom(), (long) t.budget()))
        .containsExactly(40L, 41L, 3L);
    assertThat(t.persistent()).isTrue();
    assertThat(t.mask()).isInstanceOf(MaskUpdate.TripletMask.class);
    assertThat(((MaskUpdate.TripletMask) t.mask()).keep())
        .containsExactly(true, false, true, false, false, true, false);
    Decision e = back.pending().get(1);
    assertThat(List.of(e.decidedAt(), e.effectiveFrom(), (long) e.budget()))
        .containsExactly(60L, 60L, 4L);
    assertThat(e.persistent()).isFalse();
    assertThat(e.mask()).isInstanceOf(MaskUpdate.EntryMask.class);
    List<boolean[]> perMatrix = ((MaskUpdate.EntryMask) e.mask()).perMatrix();
    assertThat(perMatrix).hasSize(2);
    assertThat(perMatrix.get(0))
        .containsExactly(true, true, false, false, false, false, false, false, true);
    assertThat(perMatrix.get(1)).containsExactly(false, true);
  }

  @Test
  void aCheckpointOfTheEarlierLayoutIsRefusedByItsVersion(@TempDir Path dir) throws IOException {
    // version 2 kept pending commands as per-matrix keep bits with an origin text
    Files.writeString(
        dir.resolve(TrainerCheckpoint.STATE),
        "{\"version\":2,\"nextStep\":5,\"seed\":7,\"adamStep\":5,\"params\":0,\"stickyMask\":false,"
            + "\"policy\":\"policy-x\",\"keep\":[],\"pending\":[{\"applyAtStep\":6,"
            + "\"persistent\":true,\"origin\":\"in-process decision of step 5\",\"keep\":[]}],"
            + "\"statistics\":{}}");

    assertThatThrownBy(() -> TrainerCheckpoint.restore(dir, List.of(), List.of(), 7, "policy-x"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("layout version 2")
        .hasMessageContaining("reads version " + TrainerCheckpoint.VERSION)
        .hasMessageContaining(dir.toString());
  }
}
