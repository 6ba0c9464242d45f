package io.salientstream.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainerCliTest {

  private record Result(int code, String err) {}

  private static Result run(String... args) {
    CommandLine cl = TrainerCli.configure(new CommandLine(new TrainerCli()));
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, err.toString());
  }

  @Test
  void unknownPolicyIsAUsageError() {
    Result r = run("train", "--task", "rank-recovery", "--policy", "magic", "--steps", "5");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--policy must be one of").contains("magic");
  }

  @Test
  void badNumbersAndMissingOptionsAreUsageErrors() {
    assertThat(run("train", "--task", "rank-recovery", "--policy", "lora", "--steps", "ten").code()).isEqualTo(2);
    assertThat(run("train", "--policy", "lora").err()).contains("--task");
    Result r = run("train", "--task", "rank-recovery", "--policy", "lora", "--steps", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--steps must be > 0");
    assertThat(run("train", "--task", "wordnet", "--policy", "lora", "--model", "gpt9").err())
        .contains("unknown model 'gpt9'");
    assertThat(run("train", "--task", "rank-recovery", "--policy", "lora", "--device", "tpu").err())
        .contains("--device must be cpu or gpu");
    assertThat(run("train", "--task", "rank-recovery", "--policy", "lora", "--allocation", "kafka").err())
        .contains("--allocation");
    assertThat(run("compare", "--task", "rank-recovery", "--policies", "lora,nope").code()).isEqualTo(2);
  }
}
