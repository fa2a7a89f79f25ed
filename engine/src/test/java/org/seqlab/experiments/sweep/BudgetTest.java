package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BudgetTest {

  @Test
  void theDefaultPatienceCoversAQuarterOfTheCap() {
    // 3000 steps validated every 50: 15 validations, 750 steps flat, never before step 1500
    Budget b = new Budget(3000, "adam", 1e-2, 1, 50, 0.99);
    assertEquals(15, b.patience());
    assertEquals(1500, b.minSteps());
    // never fewer than 3 validations
    assertEquals(3, Budget.plateauPatience(100, 50));
    for (int steps : new int[] {1, 7, 300, 2999, 100_000}) {
      for (int every : new int[] {1, 10, 50, 333}) {
        int p = Budget.plateauPatience(steps, every);
        assertTrue((long) p * every >= Budget.FLAT_SHARE * steps, steps + " / " + every);
        assertTrue(p >= 3);
      }
    }
  }

  @Test
  void theRuleInWords() {
    assertEquals(
        "plateaued: 15 validations in a row (750 steps) without the validation loss falling more"
            + " than 1% below its last progress, never before step 1500",
        new Budget(3000, "adam", 1e-2, 1, 50, 0.99).plateauRule());
    assertEquals(
        "no plateau rule: a run stops at its goal or its cap",
        new Budget(3000, "adam", 1e-2, 1, 50, 0.99, 0).plateauRule());
    assertThrows(
        IllegalArgumentException.class, () -> new Budget(3000, "adam", 1e-2, 1, 50, 0.99, -1));
  }
}
