package io.salientstream.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.trainer.task.RankRecoveryTask;
import io.salientstream.trainer.train.Experiment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainerCliTest {

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cl = TrainerCli.configure(new CommandLine(new TrainerCli()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** The spec {@code train args} would run, without running it. */
  private static Experiment.Spec trainSpec(String... args) {
    TrainCommand cmd = new TrainCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.run.spec(cmd.policy, null, 0, false);
  }

  @Test
  void unknownPolicyIsAUsageError() {
    Result r = run("train", "--task", "rank-recovery", "--policy", "magic", "--steps", "5");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--policy must be one of").contains("magic");
  }

  @Test
  void badNumbersAndMissingOptionsAreUsageErrors() {
    assertThat(run("train", "--task", "rank-recovery", "--policy", "lora", "--steps", "ten").code())
        .isEqualTo(2);
    assertThat(run("train", "--policy", "lora").err()).contains("--task");
    Result r = run("train", "--task", "rank-recovery", "--policy", "lora", "--steps", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--steps must be > 0");
    assertThat(run("train", "--task", "wordnet", "--policy", "lora", "--model", "gpt9").err())
        .contains("unknown model 'gpt9'");
    assertThat(run("train", "--task", "rank-recovery", "--policy", "lora", "--device", "tpu").err())
        .contains("--device must be cpu or gpu");
    assertThat(
            run("train", "--task", "rank-recovery", "--policy", "lora", "--allocation", "kafka")
                .err())
        .contains("--allocation");
    assertThat(run("compare", "--task", "rank-recovery", "--policies", "lora,nope").code())
        .isEqualTo(2);
  }

  @Test
  void everyNumericInputIsBoundedAndNamedAndTheExperimentIdMustBeUsable() {
    Result empty =
        run(
            "train",
            "--task",
            "rank-recovery",
            "--policy",
            "lora",
            "--allocation",
            "kafka-async",
            "--experiment-id",
            "");
    assertThat(empty.code()).isEqualTo(2);
    assertThat(empty.err()).contains("--experiment-id must not be empty");
    Result blank =
        run("train", "--task", "rank-recovery", "--policy", "lora", "--experiment-id", "a b");
    assertThat(blank.code()).isEqualTo(2);
    assertThat(blank.err()).contains("--experiment-id must not contain whitespace");

    Result every =
        run("train", "--task", "rank-recovery", "--policy", "lora", "--checkpoint-every", "-2");
    assertThat(every.code()).isEqualTo(2);
    assertThat(every.err()).contains("--checkpoint-every must be in [0, ").contains("got -2");

    Result huge =
        run("train", "--task", "rank-recovery", "--policy", "lora", "--steps", "2000000000");
    assertThat(huge.code()).isEqualTo(2);
    assertThat(huge.err()).contains("--steps must be > 0 and at most 100000000");

    Result lr = run("train", "--task", "rank-recovery", "--policy", "lora", "--lr", "NaN");
    assertThat(lr.code()).isEqualTo(2);
    assertThat(lr.err()).contains("--lr must be a finite number");

    Result gamma =
        run(
            "train",
            "--task",
            "rank-recovery",
            "--policy",
            "salientlora",
            "--policy-param",
            "gamma=-2",
            "--steps",
            "5");
    assertThat(gamma.code()).isEqualTo(2);
    assertThat(gamma.err()).contains("gamma").contains("> 0").contains("-2");
  }

  @Test
  void helpListsTheExitCodes() {
    Result r = run("train", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("Exit codes:")
        .contains("0   success")
        .contains("2   bad arguments or input")
        .contains("3   a dependency is missing or unreachable");
  }

  @Test
  void presetsFillTheOptionsNotGiven() {
    Experiment.Spec s = trainSpec("--task", "rank-recovery", "--policy", "salientlora");
    assertThat(s.train().steps()).isEqualTo(1200);
    assertThat(s.train().batch()).isEqualTo(128);
    assertThat(s.train().lr()).isEqualTo(3e-2);
    assertThat(s.train().orthCoef()).isEqualTo(0.1);
    assertThat(s.initRank()).isEqualTo(12);
    assertThat(s.policyParams()).containsEntry("initialWarmup", "360");
    assertThat(trainSpec("--task", "rank-recovery", "--policy", "adalora").policyParams())
        .containsEntry("tInit", "360");

    Experiment.Spec w = trainSpec("--task", "wordnet", "--policy", "salientlora");
    assertThat(List.of(w.train().steps(), w.train().batch(), w.seq(), w.initRank()))
        .containsExactly(120, 16, 32, 12);
    assertThat(w.train().lr()).isEqualTo(3e-3);
    assertThat(w.train().orthCoef()).isEqualTo(0.1);
    assertThat(w.targetRank()).isEqualTo(4.0);
    assertThat(trainSpec("--task", "wordnet", "--policy", "probe").train().lr()).isEqualTo(1e-2);

    Experiment.Spec plain =
        trainSpec("--task", "rank-recovery", "--policy", "salientlora", "--no-preset");
    assertThat(plain.train().steps()).isEqualTo(300);
    assertThat(plain.train().lr()).isEqualTo(1e-3);
    assertThat(plain.policyParams()).isEmpty();
  }

  @Test
  void flagsGivenWinOverThePreset() {
    Experiment.Spec s =
        trainSpec(
            "--task",
            "rank-recovery",
            "--policy",
            "salientlora",
            "--steps",
            "100",
            "--lr",
            "0.01",
            "--orth-coef",
            "0.5",
            "--batch",
            "8",
            "--target-rank",
            "3",
            "--rank",
            "6");
    assertThat(s.train().steps()).isEqualTo(100);
    assertThat(s.train().batch()).isEqualTo(8);
    assertThat(s.train().lr()).isEqualTo(0.01);
    assertThat(s.train().orthCoef()).isEqualTo(0.5);
    assertThat(s.initRank()).isEqualTo(6);
    assertThat(s.targetRank()).isEqualTo(3.0);
    assertThat(s.policyParams())
        .containsEntry("initialWarmup", "30"); // the preset's 30 % of the steps given
    assertThat(
            trainSpec("--task", "rank-recovery", "--policy", "adalora", "--policy-param", "tInit=5")
                .policyParams())
        .containsEntry("tInit", "5");
  }

  @Test
  void rankRecoveryBudgetIsTheSumOfTheTrueRanks() {
    assertThat(trainSpec("--task", "rank-recovery", "--policy", "salientlora").targetRank() * 48)
        .isEqualTo(216.0);
    for (String[] sizes :
        List.of(
            new String[] {"20", "6", "3"},
            new String[] {"7", "5", "42"},
            new String[] {"48", "8", "1"})) {
      int m = Integer.parseInt(sizes[0]);
      Experiment.Spec s =
          trainSpec(
              "--task",
              "rank-recovery",
              "--policy",
              "adalora",
              "--matrices",
              sizes[0],
              "--max-true-rank",
              sizes[1],
              "--seed",
              sizes[2]);
      int sum =
          Arrays.stream(
                  RankRecoveryTask.trueRanks(
                      m, Integer.parseInt(sizes[1]), Long.parseLong(sizes[2])))
              .sum();
      assertThat(Math.round(s.targetRank() * m))
          .as("budget for %s", Arrays.toString(sizes))
          .isEqualTo(sum);
    }
  }

  @Test
  void theRunPrintsItsSettingsAndTheBudgetMatchesTheTask(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("r.json");
    Result r =
        run(
            "train",
            "--task",
            "rank-recovery",
            "--policy",
            "salientlora",
            "--matrices",
            "10",
            "--dim",
            "8",
            "--max-true-rank",
            "4",
            "--steps",
            "40",
            "--batch",
            "16",
            "--no-progress",
            "--policy-param",
            "salientlora.finalSteps=10",
            "--report",
            report.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("settings of rank-recovery/salientlora")
        .containsPattern("--steps +40 +given")
        .containsPattern("--lr +3e-2 +preset")
        .contains("Σ true ranks")
        .containsPattern("--policy-param +initialWarmup=12 +preset")
        .containsPattern("--policy-param +salientlora.finalSteps=10 +given");
    @SuppressWarnings("unchecked")
    Map<String, Object> rep = new ObjectMapper().readValue(report.toFile(), Map.class);
    @SuppressWarnings("unchecked")
    List<Integer> truth = (List<Integer>) rep.get("trueRanks");
    int sum = truth.stream().mapToInt(Integer::intValue).sum();
    assertThat(truth)
        .containsExactlyElementsOf(
            Arrays.stream(RankRecoveryTask.trueRanks(10, 4, 42)).boxed().toList());
    @SuppressWarnings("unchecked")
    Map<String, String> params = (Map<String, String>) rep.get("policyParams");
    assertThat(params)
        .containsEntry("targetBudget", Integer.toString(sum))
        .containsEntry("initialWarmup", "12")
        .containsEntry("finalSteps", "10");
    assertThat(rep.get("lr")).isEqualTo(3e-2);
    assertThat(rep.get("finalTotalRank")).isEqualTo(sum);
  }

  @Test
  void showPresetPrintsTheSettingsAndExits() {
    Result r =
        run("train", "--task", "wordnet", "--policy", "probe", "--show-preset", "--steps", "7");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("settings of wordnet/probe")
        .containsPattern("--lr +1e-2 +preset")
        .containsPattern("--steps +7 +given")
        .containsPattern("--batch +16 +preset");
    Result c =
        run(
            "compare",
            "--task",
            "rank-recovery",
            "--policies",
            "salientlora,adalora,lora",
            "--show-preset");
    assertThat(c.code()).isZero();
    assertThat(c.out())
        .contains(
            "settings of rank-recovery/salientlora",
            "settings of rank-recovery/adalora",
            "settings of rank-recovery/lora",
            "initialWarmup=360",
            "tInit=360");
  }

  @Test
  void helpMentionsPresets() {
    for (String cmd : List.of("train", "compare")) {
      Result r = run(cmd, "--help");
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("Presets:", "--show-preset", "--no-preset", "task preset");
    }
  }
}
