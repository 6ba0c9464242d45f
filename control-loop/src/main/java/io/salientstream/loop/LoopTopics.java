package io.salientstream.loop;

/** The topic names of the control loop, resolved for one tenant. */
public record LoopTopics(String experiments, String singularValues, String salienceReports, String rankCommands,
                         String trainerStatus, String deadLetters) {}
