package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.stack.junit.SharedKafkaExtension;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One broker per test JVM: every class (and nested class) sees the same stack instance. */
class SharedStackSharingTest {
  static final AtomicReference<SharedStack> FIRST = new AtomicReference<>();

  static void sameAsFirst(SharedStack stack) {
    FIRST.compareAndSet(null, stack);
    assertThat(stack).isSameAs(FIRST.get());
    assertThat(SharedKafkaExtension.stack()).isSameAs(stack);
  }

  @WithSharedStack
  @Nested
  class One {
    @Test
    void injected(SharedStack stack) {
      sameAsFirst(stack);
      assertThat(stack.mode()).isEqualTo(SharedStack.Mode.IN_PROCESS);
      assertThat(stack.bootstrapServers()).startsWith("localhost:");
      assertThat(stack.registryUrl()).startsWith("http://localhost:");
    }
  }

  @WithSharedStack
  @Nested
  class Two {
    @Test
    void injected(SharedStack stack) {
      sameAsFirst(stack);
    }
  }

  @WithSharedStack
  static class Base {
    static SharedStack seenInBeforeAll;

    @BeforeAll
    static void before(SharedStack stack) {
      seenInBeforeAll = stack;
    }
  }

  @Nested
  class Three extends Base {
    @Test
    void alsoInLifecycleMethods() {
      sameAsFirst(SharedKafkaExtension.stack());
      assertThat(seenInBeforeAll).isSameAs(SharedKafkaExtension.stack());
    }
  }
}
