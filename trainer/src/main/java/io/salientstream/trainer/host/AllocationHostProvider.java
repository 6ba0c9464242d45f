package io.salientstream.trainer.host;

import io.salientstream.trainer.train.Experiment;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Where a policy can run besides in-process: found with {@link ServiceLoader} so the trainer needs
 * no Kafka code. The trainer-kafka module provides {@code kafka-sync} and {@code kafka-async}.
 */
public interface AllocationHostProvider {

  /** The {@code --allocation} names this provider serves. */
  List<String> names();

  /**
   * A host factory for one run.
   *
   * @param allocation one of {@link #names()}
   * @param experimentId the experiment's id (the Kafka key of all its records)
   * @param settings {@code --allocation-config key=value} pairs (e.g. bootstrap.servers,
   *     schema.registry.url)
   */
  Experiment.HostFactory factory(
      String allocation, String experimentId, Map<String, String> settings);

  /** The provider serving {@code allocation}, if one is on the class path. */
  static Optional<AllocationHostProvider> find(String allocation) {
    for (AllocationHostProvider p : ServiceLoader.load(AllocationHostProvider.class)) {
      if (p.names().contains(allocation)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
