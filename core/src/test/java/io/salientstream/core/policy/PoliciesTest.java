package io.salientstream.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PoliciesTest {
  private final AdapterLayout layout = AdapterLayout.uniform(6, 6, 8, 8, 4);

  @Test
  void loraNeverDecidesAndKeepsFullBudget() {
    RankPolicy p = Policies.create("lora", Map.of(), layout);
    for (long s = 0; s < 50; s++) assertThat(p.onStep(StepInput.bare(s))).isEmpty();
    assertThat(p.budgetAt(49)).isEqualTo(24);
    assertThat(p.lastDecision()).isEmpty();
  }

  @Test
  void unknownPolicyAndParameterAreNamed() {
    assertThatThrownBy(() -> Policies.create("nope", Map.of(), layout))
        .hasMessageContaining("'nope'");
    assertThatThrownBy(() -> Policies.create("lora", Map.of("rnak", "3"), layout))
        .hasMessageContaining("unknown parameter 'rnak'");
  }

  @Test
  void stepsMustIncrease() {
    RankPolicy p = Policies.create("lora", Map.of(), layout);
    p.onStep(StepInput.bare(5));
    assertThatThrownBy(() -> p.onStep(StepInput.bare(5))).hasMessageContaining("not after");
  }

  @Test
  void loraStateRoundTrip() {
    RankPolicy p = Policies.create("lora", Map.of(), layout);
    p.onStep(StepInput.bare(7));
    RankPolicy q = Policies.create("lora", Map.of(), layout);
    q.restoreState(p.snapshotState());
    assertThatThrownBy(() -> q.onStep(StepInput.bare(7))).hasMessageContaining("not after");
    assertThatThrownBy(() -> q.restoreState("{}".getBytes())).hasMessageContaining("lora");
  }
}
