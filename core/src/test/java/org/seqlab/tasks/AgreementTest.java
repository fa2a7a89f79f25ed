package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;

class AgreementTest {

  /** One sentence of a batch, read back from its arrays through the words alone. */
  private record Read(
      List<String> words, int subject, int asked, String verb, List<String> between) {

    static Read of(Batch batch, int b) {
      int size = batch.size();
      List<String> words = new ArrayList<>();
      int asked = -1;
      String verb = null;
      for (int t = 0; t < batch.steps(); t++) {
        words.add(Agreement.word(batch.inputs()[t * size + b]));
        int target = batch.targets()[t * size + b];
        if (target != CrossEntropyLoss.IGNORE_INDEX) {
          assertEquals(-1, asked, "one verb asked per sentence");
          asked = t;
          verb = Agreement.word(target);
        }
      }
      assertTrue(asked >= 0, "a verb is asked");
      // Prefix words are never "the", so the first "the" is the subject's.
      int subject = words.indexOf("the") + 1;
      return new Read(words, subject, asked, verb, words.subList(subject + 1, asked + 1));
    }

    String subjectWord() {
      return words.get(subject);
    }

    /** The noun nearest the verb, between subject and verb; null when there is none. */
    String nearestNoun() {
      for (int i = between.size() - 1; i >= 0; i--)
        if (isNoun(between.get(i))) return between.get(i);
      return null;
    }
  }

  private static boolean isNoun(String word) {
    return Agreement.SINGULAR_NOUNS.contains(word) || Agreement.PLURAL_NOUNS.contains(word);
  }

  @Test
  void theVerbAgreesWithTheSubjectExactlyDWordsAfterIt() {
    for (int distance : new int[] {2, 3, 4, 5, 6, 7, 9, 17, 50}) {
      Agreement task = new Agreement(distance, 64, 4, 11);
      Batch batch = task.trainingBatch(0);
      int longest = 0;
      for (int b = 0; b < batch.size(); b++) {
        Read s = Read.of(batch, b);
        String context = "d=" + distance + ": " + Agreement.sentence(batch, b);
        assertEquals("<s>", s.words().getFirst(), context);
        assertTrue(isNoun(s.subjectWord()), context);
        assertEquals(
            Agreement.SINGULAR_NOUNS.contains(s.subjectWord()) ? "is" : "are", s.verb(), context);
        // The verb would sit right after the asked position: d words after the subject.
        assertEquals(distance - 1, s.asked() - s.subject(), context);
        assertEquals(distance - 1, s.between().size(), context);
        int prefix = s.subject() - 2;
        assertTrue(prefix >= 0 && prefix <= 3, context);
        for (String w : s.words().subList(1, prefix + 1)) {
          assertTrue(Agreement.PREFIX_WORDS.contains(w), context);
        }
        for (String w : s.between()) {
          assertFalse(w.equals("is") || w.equals("are") || w.equals("<pad>"), context);
        }
        if (distance - 1 >= 3) assertTrue(isNoun(s.between().getLast()), context);
        longest = Math.max(longest, s.asked() + 1);
      }
      assertEquals(longest, batch.steps(), "a batch is as long as its longest sentence");
      assertTrue(batch.steps() <= task.steps() && batch.steps() >= distance + 2);
    }
  }

  @Test
  void prefixLengthsVaryWithinABatchAndPaddingFollowsTheEnd() {
    Batch batch = new Agreement(6, 64, 4, 3).trainingBatch(5);
    int size = batch.size();
    Set<Integer> prefixLengths = new HashSet<>();
    for (int b = 0; b < size; b++) {
      Read s = Read.of(batch, b);
      prefixLengths.add(s.subject() - 2);
      for (int t = 0; t < batch.steps(); t++) {
        int input = batch.inputs()[t * size + b];
        if (t <= s.asked()) {
          assertNotEquals(Agreement.PAD, input, "no padding before the end, step " + t);
        } else {
          assertEquals(Agreement.PAD, input, "padding after the end, step " + t);
          assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[t * size + b]);
        }
      }
    }
    assertTrue(prefixLengths.size() >= 2, "prefix lengths " + prefixLengths);
  }

  @Test
  void theValidationSetIsBalancedSoAConstantGuessScoresOneHalf() {
    for (int validation : new int[] {1, 7, 256, 257}) {
      for (long seed = 0; seed < 5; seed++) {
        Agreement task = new Agreement(20, 32, validation, seed);
        int sentences = 0, singular = 0;
        for (Batch batch : task.validationBatches()) {
          for (int b = 0; b < batch.size(); b++) {
            Read s = Read.of(batch, b);
            sentences++;
            boolean subjectSingular = Agreement.SINGULAR_NOUNS.contains(s.subjectWord());
            assertEquals(subjectSingular ? "is" : "are", s.verb());
            if (subjectSingular) singular++;
          }
        }
        assertEquals(validation, sentences);
        // (n + 1) / 2 singular: the first sentence of the set is singular, then they alternate.
        assertEquals((validation + 1) / 2, singular, "validation " + validation + " seed " + seed);
      }
    }
  }

  @Test
  void theLabelIsAFairCoinAndTheNearestNounTellsNothing() {
    for (int distance : new int[] {6, 9, 30}) {
      Agreement task = new Agreement(distance, 500, 1, 21);
      int sentences = 0, singular = 0, nearestRight = 0, withAttractor = 0;
      for (long step = 0; step < 8; step++) {
        Batch batch = task.trainingBatch(step);
        for (int b = 0; b < batch.size(); b++) {
          Read s = Read.of(batch, b);
          sentences++;
          boolean subjectSingular = Agreement.SINGULAR_NOUNS.contains(s.subjectWord());
          if (s.verb().equals("is")) singular++;
          String nearest = s.nearestNoun();
          boolean nearestSingular = Agreement.SINGULAR_NOUNS.contains(nearest);
          if ((nearestSingular ? "is" : "are").equals(s.verb())) nearestRight++;
          boolean attractor =
              s.between().stream()
                  .anyMatch(
                      w -> isNoun(w) && Agreement.SINGULAR_NOUNS.contains(w) != subjectSingular);
          if (attractor) withAttractor++;
        }
      }
      assertEquals(4000, sentences);
      assertEquals(0.5, singular / 4000.0, 0.03, "share of 'is' at d=" + distance);
      assertEquals(0.5, nearestRight / 4000.0, 0.03, "the nearest noun's number at d=" + distance);
      // Every intervening noun is of the other number with chance 1/2, and there is at least one:
      // at least half the sentences hold an attractor.
      assertTrue(withAttractor >= 0.47 * 4000, withAttractor + " sentences with an attractor");
    }
  }

  @Test
  void sentencesPrintAsWords() {
    Batch batch = new Agreement(5, 8, 4, 0).trainingBatch(0);
    for (int b = 0; b < batch.size(); b++) {
      String text = Agreement.sentence(batch, b);
      Read s = Read.of(batch, b);
      assertTrue(text.startsWith("<s> "), text);
      assertTrue(text.endsWith(" [" + s.verb() + "]"), text);
      assertFalse(text.contains("<pad>"), text);
      assertEquals(s.asked() + 2, text.split(" ").length, text);
    }
  }

  @Test
  void theVocabularyNamesEveryIdOnce() {
    List<String> words = Agreement.words();
    assertEquals(words.size(), new HashSet<>(words).size(), "no word twice: " + words);
    assertEquals(47, words.size());
    assertEquals("is", Agreement.word(Agreement.IS));
    assertEquals("are", Agreement.word(Agreement.ARE));
    assertEquals("the", Agreement.word(Agreement.THE));
    assertEquals("<pad>", Agreement.word(Agreement.PAD));
    assertEquals("<s>", Agreement.word(Agreement.BOS));
    assertEquals(Agreement.NOUN_LEXEMES, Agreement.SINGULAR_NOUNS.size());
    assertEquals(Agreement.NOUN_LEXEMES, Agreement.PLURAL_NOUNS.size());
    for (String w : Agreement.PREFIX_WORDS) assertFalse(isNoun(w) || w.equals("the"));
  }

  @Test
  void describesItself() {
    Agreement task = new Agreement(20, 8, 16, 0);
    assertEquals("agreement", task.name());
    assertEquals(Agreement.words().size(), task.vocabularySize());
    assertEquals(25, task.steps());
    assertEquals(20, task.dependencyDistance().getAsInt());
    assertEquals(SyntheticTask.Metric.ACCURACY, task.metric());
    assertEquals(0.5, task.baseline());
    assertEquals(20, task.difficulty());
    assertEquals("distance", task.difficultyName());
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed ->
            new Agreement(8, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new Agreement(1, 4, 4, 0), "the distance must be between 2 and 1000, got 1");
    SyntheticTaskContract.checkRefused(
        () -> new Agreement(1001, 4, 4, 0), "between 2 and 1000, got 1001");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new Agreement(10, batch, validation, 0));
  }
}
