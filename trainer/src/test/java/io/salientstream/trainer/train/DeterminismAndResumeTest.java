package io.salientstream.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterKind;
import io.salientstream.trainer.adapter.AdapterPlan;
import io.salientstream.trainer.adapter.LoraLinear;
import io.salientstream.trainer.adapter.SvdAdapterLinear;
import io.salientstream.trainer.host.InProcessAllocationHost;
import io.salientstream.trainer.task.RankRecoveryTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two runs with one seed end bit-identical; a run interrupted and resumed from its checkpoint ends
 * identical too.
 */
class DeterminismAndResumeTest {

  static final int M = 12;
  static final int D = 16;
  static final int STEPS = 40;

  /** Final state of a run: every trainable array and every mask, as plain values. */
  record Final(List<float[]> arrays, List<boolean[]> masks, int totalRank) {}

  static Map<String, String> params(String policy) {
    Map<String, String> p = new LinkedHashMap<>();
    p.putAll(PolicyTestParams.forTinyRun(policy, STEPS, M));
    return p;
  }

  static Final run(String policy, Path ckpt, long stopAfter, boolean resume) throws Exception {
    TrainConfig cfg = TrainConfig.defaults(STEPS, 16, 5e-3).withCheckpoint(ckpt, 0, resume);
    AdapterLayout base = AdapterLayout.uniform(M, RankRecoveryTask.PER_LAYER, D, D, 6);
    List<AdapterLayout.Matrix> named = new ArrayList<>();
    List<String> names = RankRecoveryTask.matrixNames(M);
    for (int k = 0; k < M; k++) {
      named.add(new AdapterLayout.Matrix(names.get(k), k / RankRecoveryTask.PER_LAYER, D, D, 6));
    }
    RankPolicy policyImpl = Policies.create(policy, params(policy), new AdapterLayout(named));
    Map<String, Integer> ranks = new LinkedHashMap<>();
    policyImpl.layout().matrices().forEach(mx -> ranks.put(mx.name(), mx.initialRank()));
    AdapterKind kind = Experiment.kindOf(policy);
    try (NDManager home = NDManager.newBaseManager();
        RankRecoveryTask task =
            new RankRecoveryTask(home, M, D, 4, 256, 3L, new AdapterPlan(kind, ranks, 6, 8f, 3L));
        InProcessAllocationHost host = new InProcessAllocationHost(policyImpl)) {
      Trainer t = new Trainer(task, host, cfg, home);
      t.run(stopAfter);
      List<float[]> arrays = new ArrayList<>();
      for (NDArray a : t.trainableArrays()) {
        arrays.add(a.toFloatArray());
      }
      List<boolean[]> masks = new ArrayList<>();
      for (AdaptedLinear a : t.adapters()) {
        masks.add(a instanceof SvdAdapterLinear s ? s.keep() : ((LoraLinear) a).keep());
      }
      assertThat(base.size()).isEqualTo(M);
      return new Final(arrays, masks, t.totalActiveRank());
    }
  }

  static void assertIdentical(Final a, Final b) {
    assertThat(a.arrays()).hasSameSizeAs(b.arrays());
    for (int i = 0; i < a.arrays().size(); i++) {
      assertThat(b.arrays().get(i)).as("array %d", i).containsExactly(a.arrays().get(i));
    }
    for (int i = 0; i < a.masks().size(); i++) {
      assertThat(b.masks().get(i)).as("mask %d", i).containsExactly(a.masks().get(i));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"salientlora", "adalora", "prilora"})
  void sameSeedSameResultAndResumeEqualsUninterrupted(String policy, @TempDir Path dir)
      throws Exception {
    Final a = run(policy, null, Long.MAX_VALUE, false);
    Final b = run(policy, null, Long.MAX_VALUE, false);
    assertIdentical(a, b);
    if (policy.equals("salientlora") || policy.equals("adalora")) {
      assertThat(a.totalRank()).as("the policy pruned something").isLessThan(M * 6);
    }
    run(policy, dir, STEPS / 2 + 3, false); // interrupted: checkpoint written at step 23
    Final resumed = run(policy, dir, Long.MAX_VALUE, true);
    assertIdentical(a, resumed);
  }

  /**
   * PyTorch's grad mode is per thread and on in a new thread; DJL's gradient collector puts back
   * the mode it found. A trainer on a thread other than the one the engine started on (the chaos
   * bench's real trainers, a service running several experiments) must still update its leaf
   * parameters in place: it ends identical to the same run on the first thread.
   */
  @ParameterizedTest
  @ValueSource(strings = {"salientlora", "lora"})
  void aRunOnAnotherThreadEndsIdentical(String policy, @TempDir Path dir) throws Exception {
    Final here = run(policy, dir.resolve("here"), Long.MAX_VALUE, false);
    Final[] there = new Final[1];
    Throwable[] failed = new Throwable[1];
    Thread t =
        new Thread(
            () -> {
              try {
                there[0] = run(policy, dir.resolve("there"), Long.MAX_VALUE, false);
              } catch (Throwable e) {
                failed[0] = e;
              }
            });
    t.start();
    t.join();
    assertThat(failed[0]).as("the run on another thread").isNull();
    assertIdentical(here, there[0]);
  }
}
