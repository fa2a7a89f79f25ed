package org.seqlab.tasks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.seqlab.nn.CrossEntropyLoss;

/**
 * Subject–verb agreement at distance {@code d} (after Linzen, Dupoux &amp; Goldberg 2016), in
 * synthetic English-like sentences: read a sentence up to the word before its verb and predict
 * whether the verb is "is" or "are", which only the subject, {@code d} words before the verb, can
 * tell. One sentence of {@code d = 5}:
 *
 * <pre>
 *   position  0    1          2    3    4     5    6    7
 *   input     &lt;s&gt;  yesterday  the  key  near  the  old  cabinets
 *   target    -    -          -    -    -     -    -    is
 * </pre>
 *
 * <p>A sentence is {@code <s> [prefix] the SUBJECT w_1 ... w_{d-1}}: 0 to 3 distinct prefix words
 * ("yesterday", "perhaps", ...), the determiner, the subject noun, and exactly {@code d-1} words
 * between the subject and the place where the verb would sit, {@code d} words after the subject.
 * The verb is asked at the position of {@code w_{d-1}}: its target is "is" for a singular subject
 * and "are" for a plural one; every other target is {@link CrossEntropyLoss#IGNORE_INDEX}. The
 * {@code d-1} words are prepositional phrases {@code PREP the [ADJ [ADJ]] NOUN} whose number and
 * adjectives are drawn so that their words add up to exactly {@code d-1}; when {@code d-1} is 1 or
 * 2, too short for a phrase, they are adverb-like fillers ("the keys here are").
 *
 * <p>The subject's number is a fair coin, its lexeme uniform among {@value #NOUN_LEXEMES}. Every
 * noun between subject and verb draws its lexeme and its number independently, 50/50, so about half
 * of them are attractors of the other number ("the key near the old cabinets is"), and the nearest
 * noun agrees with the verb only half the time: no shortcut spares the model from carrying the
 * subject's number over {@code d} steps.
 *
 * <p>The prefix length varies from sentence to sentence, so lengths vary within a batch: a batch is
 * as long as its longest sentence, and shorter sentences are padded after their end with {@value
 * #PAD} ({@code <pad>}) inputs and ignored targets. Every model here is causal, so padding after
 * the last asked step never reaches a prediction. {@link #steps()} is the longest possible
 * sentence, {@code 1 + 3 + 2 + (d-1) = d+5}; a batch may be up to 3 steps shorter.
 *
 * <p>The score is the accuracy on the verbs. The baseline guesses the number: the subject's number
 * is independent of every other word of the sentence, so without remembering the subject nothing
 * does better than 50%.
 */
public final class Agreement implements SyntheticTask {

  /** The longest distance allowed. */
  public static final int MAX_DISTANCE = 1000;

  /** The most prefix words a sentence starts with. */
  public static final int MAX_PREFIX = 3;

  /** Noun lexemes, singular; the plural of {@code SINGULAR_NOUNS.get(i)} is at {@code i}. */
  public static final List<String> SINGULAR_NOUNS =
      List.of(
          "key", "dog", "author", "cabinet", "child", "man", "woman", "table", "letter", "house");

  /** Noun lexemes, plural, in the order of {@link #SINGULAR_NOUNS}. */
  public static final List<String> PLURAL_NOUNS =
      List.of(
          "keys",
          "dogs",
          "authors",
          "cabinets",
          "children",
          "men",
          "women",
          "tables",
          "letters",
          "houses");

  /** Adjectives, for the phrases between subject and verb. */
  public static final List<String> ADJECTIVES =
      List.of("old", "red", "small", "new", "quiet", "heavy", "green", "strange");

  /** Prepositions, each opening a phrase between subject and verb. */
  public static final List<String> PREPOSITIONS =
      List.of("near", "of", "behind", "with", "beside", "under");

  /** Words that may open a sentence, so that the subject does not always sit at one position. */
  public static final List<String> PREFIX_WORDS =
      List.of("yesterday", "perhaps", "clearly", "today");

  /** Adverb-like words between subject and verb when {@code d-1} is too short for a phrase. */
  public static final List<String> FILLERS = List.of("here", "there", "now", "indeed");

  /** The number of noun lexemes. */
  public static final int NOUN_LEXEMES = 10;

  /** Padding after a sentence's end. */
  public static final int PAD = 0;

  /** The start of every sentence. */
  public static final int BOS = 1;

  /** The determiner "the". */
  public static final int THE = 2;

  private static final int FIRST_SINGULAR = 3;
  private static final int FIRST_PLURAL = FIRST_SINGULAR + NOUN_LEXEMES;
  private static final int FIRST_ADJECTIVE = FIRST_PLURAL + NOUN_LEXEMES;
  private static final int FIRST_PREPOSITION = FIRST_ADJECTIVE + ADJECTIVES.size();
  private static final int FIRST_PREFIX = FIRST_PREPOSITION + PREPOSITIONS.size();
  private static final int FIRST_FILLER = FIRST_PREFIX + PREFIX_WORDS.size();

  /** The verb after a singular subject. */
  public static final int IS = FIRST_FILLER + FILLERS.size();

  /** The verb after a plural subject. */
  public static final int ARE = IS + 1;

  private static final List<String> WORDS = vocabulary();

  /** "PREP the NOUN", the shortest phrase. */
  private static final int SHORTEST_PHRASE = 3;

  /** Adjectives a phrase may hold, so that its length can be anything from 3 to 5 words. */
  private static final int MOST_ADJECTIVES = 2;

  private final int distance;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /**
   * @param distance {@code d}, the words from the subject to the verb, in {@code [2, 1000]}
   * @param batchSize {@code B}, the sentences of a training batch (and at most of a validation one)
   * @param validationSize the sentences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sentence
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public Agreement(int distance, int batchSize, int validationSize, long seed) {
    SyntheticSupport.requireBetween("the distance", distance, 2, MAX_DISTANCE);
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    int longest = longestSentence(distance);
    String advice = "use a smaller batch size, validation size or distance";
    // The logits of a batch, T*B*V, are the largest array a model builds from it.
    SyntheticSupport.requireFits("a training batch", longest, batchSize, WORDS.size(), advice);
    SyntheticSupport.requireFits("the validation set", longest, validationSize, 1, advice);
    this.distance = distance;
    this.batchSize = batchSize;
    this.seed = seed;
    // Half the validation sentences have a singular subject and half a plural one, alternating, so
    // that a constant guess scores exactly 0.5 (to one sentence) on every seed: a drawn split would
    // put a model that has learned nothing anywhere from 0.45 to 0.6.
    int[] drawn = {0};
    this.validationBatches =
        SyntheticSupport.validationSet(
            seed,
            validationSize,
            batchSize,
            (random, sequences) -> {
              Batch batch = draw(random, sequences, drawn[0]);
              drawn[0] += sequences;
              return batch;
            });
  }

  private static List<String> vocabulary() {
    List<String> words = new ArrayList<>(List.of("<pad>", "<s>", "the"));
    words.addAll(SINGULAR_NOUNS);
    words.addAll(PLURAL_NOUNS);
    words.addAll(ADJECTIVES);
    words.addAll(PREPOSITIONS);
    words.addAll(PREFIX_WORDS);
    words.addAll(FILLERS);
    words.addAll(List.of("is", "are"));
    return List.copyOf(words);
  }

  /** Every word, at its id. */
  public static List<String> words() {
    return WORDS;
  }

  /** The word of id {@code id}. */
  public static String word(int id) {
    if (id < 0 || id >= WORDS.size()) {
      throw new IllegalArgumentException(
          "a word id must be between 0 and " + (WORDS.size() - 1) + ", got " + id);
    }
    return WORDS.get(id);
  }

  /**
   * Sentence {@code b} of {@code batch} in words, padding left out and the verb asked shown in
   * brackets after the word where it is asked: {@code "<s> perhaps the keys near the dog [are]"}.
   */
  public static String sentence(Batch batch, int b) {
    if (b < 0 || b >= batch.size()) {
      throw new IllegalArgumentException(
          "the batch holds sentences 0 to " + (batch.size() - 1) + ", got " + b);
    }
    StringBuilder text = new StringBuilder();
    for (int t = 0; t < batch.steps(); t++) {
      int at = t * batch.size() + b;
      if (batch.inputs()[at] == PAD) break; // only padding follows
      if (t > 0) text.append(' ');
      text.append(word(batch.inputs()[at]));
      int target = batch.targets()[at];
      if (target != CrossEntropyLoss.IGNORE_INDEX)
        text.append(" [").append(word(target)).append(']');
    }
    return text.toString();
  }

  private static int longestSentence(int distance) {
    return 1 + MAX_PREFIX + 2 + (distance - 1);
  }

  /** One sentence's words, without the verb, and the verb asked at its last word. */
  private record Sentence(int[] words, int verb) {}

  /**
   * {@code sequences} sentences; their subjects' number drawn, or, from {@code balancedFrom} ≥ 0
   * on, alternating singular and plural by the sentence's index in the validation set.
   */
  private Batch draw(SplittableRandom random, int sequences, int balancedFrom) {
    Sentence[] sentences = new Sentence[sequences];
    int steps = 0;
    for (int b = 0; b < sequences; b++) {
      Boolean plural = balancedFrom < 0 ? null : (balancedFrom + b) % 2 == 1;
      sentences[b] = drawSentence(random, plural);
      steps = Math.max(steps, sentences[b].words().length);
    }
    int[] inputs = new int[steps * sequences]; // PAD (0) wherever a sentence has ended
    int[] targets = new int[steps * sequences];
    Arrays.fill(targets, CrossEntropyLoss.IGNORE_INDEX);
    for (int b = 0; b < sequences; b++) {
      int[] words = sentences[b].words();
      for (int t = 0; t < words.length; t++) inputs[t * sequences + b] = words[t];
      targets[(words.length - 1) * sequences + b] = sentences[b].verb();
    }
    return new Batch(steps, sequences, inputs, targets, false);
  }

  /** A sentence whose subject is plural as given, or as drawn where {@code plural} is null. */
  private Sentence drawSentence(SplittableRandom random, Boolean plural) {
    int[] words = new int[longestSentence(distance)];
    int n = 0;
    words[n++] = BOS;
    int[] prefix = distinct(random, PREFIX_WORDS.size(), random.nextInt(MAX_PREFIX + 1));
    for (int p : prefix) words[n++] = FIRST_PREFIX + p;
    words[n++] = THE;
    boolean isPlural = plural != null ? plural : random.nextBoolean();
    words[n++] = noun(random, isPlural);
    n = fillBetween(random, words, n, distance - 1);
    return new Sentence(Arrays.copyOf(words, n), isPlural ? ARE : IS);
  }

  /** Writes exactly {@code count} words from {@code words[n]} on; returns the new end. */
  private static int fillBetween(SplittableRandom random, int[] words, int n, int count) {
    if (count < SHORTEST_PHRASE) {
      for (int filler : distinct(random, FILLERS.size(), count)) words[n++] = FIRST_FILLER + filler;
      return n;
    }
    // Any count of phrases from ceil(count/5) (each of 5 words) to floor(count/3) (each of 3) can
    // be padded with adjectives to exactly `count` words; drawing it varies the sentences' shapes.
    int longestPhrase = SHORTEST_PHRASE + MOST_ADJECTIVES;
    int fewest = (count + longestPhrase - 1) / longestPhrase;
    int most = count / SHORTEST_PHRASE;
    int phrases = fewest + random.nextInt(most - fewest + 1);
    int[] adjectives = new int[phrases];
    for (int extra = count - SHORTEST_PHRASE * phrases; extra > 0; extra--) {
      // Some phrase has room: extra <= 2 * phrases by the choice of `fewest`.
      int phrase = random.nextInt(phrases);
      while (adjectives[phrase] == MOST_ADJECTIVES) phrase = random.nextInt(phrases);
      adjectives[phrase]++;
    }
    for (int phrase = 0; phrase < phrases; phrase++) {
      words[n++] = FIRST_PREPOSITION + random.nextInt(PREPOSITIONS.size());
      words[n++] = THE;
      for (int a : distinct(random, ADJECTIVES.size(), adjectives[phrase])) {
        words[n++] = FIRST_ADJECTIVE + a;
      }
      // An attractor's number is its own coin, independent of the subject's: no shortcut.
      words[n++] = noun(random, random.nextBoolean());
    }
    return n;
  }

  private static int noun(SplittableRandom random, boolean plural) {
    return (plural ? FIRST_PLURAL : FIRST_SINGULAR) + random.nextInt(NOUN_LEXEMES);
  }

  /** {@code count} distinct draws from {@code 0..of-1}, in random order. */
  private static int[] distinct(SplittableRandom random, int of, int count) {
    int[] all = new int[of];
    for (int i = 0; i < of; i++) all[i] = i;
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(of - i);
      int swap = all[i];
      all[i] = all[j];
      all[j] = swap;
    }
    return Arrays.copyOf(all, count);
  }

  @Override
  public String name() {
    return "agreement";
  }

  @Override
  public int vocabularySize() {
    return WORDS.size();
  }

  /** The longest sentence, {@code d+5}; a batch is as long as its longest, so may be shorter. */
  @Override
  public int steps() {
    return longestSentence(distance);
  }

  @Override
  public int batchSize() {
    return batchSize;
  }

  @Override
  public Batch trainingBatch(long step) {
    return draw(SyntheticSupport.trainingRandom(seed, step), batchSize, -1);
  }

  @Override
  public String position(long step) {
    return SyntheticSupport.position(step);
  }

  @Override
  public List<Batch> validationBatches() {
    return validationBatches;
  }

  /** {@code d}: the verb sits {@code d} words after the subject. */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(distance);
  }

  @Override
  public Metric metric() {
    return Metric.ACCURACY;
  }

  /** 0.5: the subject's number is a fair coin that nothing else in the sentence tells. */
  @Override
  public double baseline() {
    return 0.5;
  }

  @Override
  public String baselineWords() {
    return "guesses the number: 50%";
  }

  @Override
  public int difficulty() {
    return distance;
  }

  @Override
  public String difficultyName() {
    return "distance";
  }
}
