package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/** What every synthetic task must do, checked the same way for each. */
final class SyntheticTaskContract {
  private SyntheticTaskContract() {}

  /** The batch size every task of {@link #checkSeeding} is built with. */
  static final int BATCH = 4;

  /** The validation size every task of {@link #checkSeeding} is built with: 4 + 4 + 2. */
  static final int VALIDATION = 10;

  /** Whether two batches hold the same sequences (NaN equals NaN, as in {@link Arrays#equals}). */
  static boolean sameContent(Batch a, Batch b) {
    return a.steps() == b.steps()
        && a.size() == b.size()
        && Arrays.equals(a.inputs(), b.inputs())
        && Arrays.equals(a.features(), b.features())
        && Arrays.equals(a.targets(), b.targets())
        && Arrays.equals(a.values(), b.values());
  }

  /**
   * Checks that training batches are a pure function of (seed, step), that the validation set is
   * drawn once, apart from training, in batches of at most {@link #BATCH}, and that every sequence
   * starts afresh.
   *
   * @param withSeed builds the task with batch size {@link #BATCH}, validation size {@link
   *     #VALIDATION} and the given seed
   */
  static void checkSeeding(LongFunction<SyntheticTask> withSeed) {
    SyntheticTask task = withSeed.apply(7);
    SyntheticTask twin = withSeed.apply(7);
    SyntheticTask other = withSeed.apply(8);

    Batch third = task.trainingBatch(3);
    assertTrue(sameContent(third, task.trainingBatch(3)), "the same step twice");
    assertTrue(sameContent(third, twin.trainingBatch(3)), "the same step of the same seed");
    // Asking for other steps in between must not change what step 3 gives (no running generator).
    task.trainingBatch(0);
    task.trainingBatch(1_000_000_000_000L);
    assertTrue(sameContent(third, task.trainingBatch(3)), "step 3 after other steps");
    for (long step = 0; step < 20; step++) {
      for (long earlier = 0; earlier < step; earlier++) {
        assertFalse(
            sameContent(task.trainingBatch(earlier), task.trainingBatch(step)),
            "steps " + earlier + " and " + step);
      }
    }
    assertFalse(sameContent(third, other.trainingBatch(3)), "seeds 7 and 8");
    assertEquals(BATCH, third.size());
    assertFalse(third.continuesPrevious());

    List<Batch> validation = task.validationBatches();
    assertEquals(
        List.of(BATCH, BATCH, VALIDATION - 2 * BATCH),
        validation.stream().map(Batch::size).toList());
    List<Batch> twinValidation = twin.validationBatches();
    for (int i = 0; i < validation.size(); i++) {
      assertTrue(sameContent(validation.get(i), twinValidation.get(i)), "validation batch " + i);
      assertFalse(validation.get(i).continuesPrevious());
    }
    assertFalse(
        sameContent(validation.getFirst(), other.validationBatches().getFirst()),
        "validation of seeds 7 and 8");
    assertFalse(sameContent(validation.getFirst(), task.trainingBatch(0)), "validation and step 0");
    assertThrows(UnsupportedOperationException.class, () -> validation.remove(0));

    assertEquals("batch 123 (fresh sequences)", task.position(122));
    var e = assertThrows(IllegalArgumentException.class, () -> task.trainingBatch(-1));
    assertTrue(e.getMessage().contains("got -1"), e.getMessage());
    assertTrue(task.dependencyDistance().isPresent());
    assertTrue(
        task.steps() >= task.dependencyDistance().getAsInt(),
        "the window of steps() holds the dependency");
  }

  /**
   * Checks that building the task throws, with a message that contains every one of {@code says}.
   */
  static void checkRefused(Supplier<SyntheticTask> build, String... says) {
    var e = assertThrows(IllegalArgumentException.class, build::get);
    for (String part : says) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' says '" + part + "'");
    }
  }

  /** Checks that batch sizes, validation sizes and sizes beyond a tensor are refused. */
  static void checkSizesRefused(
      BiFunction<Integer, Integer, SyntheticTask> withBatchAndValidation) {
    checkRefused(
        () -> withBatchAndValidation.apply(0, 10), "the batch size must be at least 1, got 0");
    checkRefused(
        () -> withBatchAndValidation.apply(4, 0), "the validation size must be at least 1, got 0");
    checkRefused(() -> withBatchAndValidation.apply(Integer.MAX_VALUE, 10), "a training batch");
    checkRefused(() -> withBatchAndValidation.apply(4, Integer.MAX_VALUE), "the validation set");
  }
}
