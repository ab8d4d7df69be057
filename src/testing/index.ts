// verity-xstate/testing: checkPrediction, a fast-check property that a prediction agrees with the real write (SPEC §8).
import fc from 'fast-check';
import { deepEqual } from '../registry/deep-equal';

export interface CheckPredictionOptions<State, Input, Truth> {
  /** The write's real effect, restated over plain state: what the handler commits. Throwing = the server refuses. */
  apply(state: State, input: Input): State;
  /** What the invalidated read ships to the client for a state. */
  shape(state: State): Truth;
  /** The transform under test: from the truth the client holds and the input, what the server will say. */
  predict(truth: Truth, input: Input): Truth;
  state: fc.Arbitrary<State>;
  input: fc.Arbitrary<Input>;
  /** Cases to check; fast-check's default (100) when omitted. */
  numRuns?: number;
  /** Replays one run (as printed by a failure). */
  seed?: number;
}

export interface PredictionCounterexample<State, Input, Truth> {
  readonly state: State;
  readonly input: Input;
  readonly predicted: Truth;
  readonly truth: Truth;
}

/** The shrunk case where predicting from the shaped state differs from shaping the applied state. */
export class PredictionMismatchError<State = unknown, Input = unknown, Truth = unknown> extends Error {
  override readonly name = 'PredictionMismatchError';
  readonly counterexample: PredictionCounterexample<State, Input, Truth>;
  readonly seed: number;

  constructor(
    counterexample: PredictionCounterexample<State, Input, Truth>,
    detail: { seed: number; cases: number },
  ) {
    super(
      [
        `checkPrediction: the prediction is wrong (found at case ${detail.cases}, seed ${detail.seed}). Shrunk counterexample:`,
        `  state:     ${fc.stringify(counterexample.state)}`,
        `  input:     ${fc.stringify(counterexample.input)}`,
        `  predicted: ${fc.stringify(counterexample.predicted)}`,
        `  truth:     ${fc.stringify(counterexample.truth)}`,
      ].join('\n'),
    );
    this.counterexample = counterexample;
    this.seed = detail.seed;
  }
}

/**
 * Checks over generated states and inputs that `predict(shape(state), input)` deep-equals
 * `shape(apply(state, input))`: predicting then observing equals applying then shaping. Returns how many cases
 * were compared; throws a `PredictionMismatchError` carrying the shrunk counterexample. A case whose `apply`
 * throws is skipped: the server refuses that write, so its prediction would be dropped, never compared.
 */
export function checkPrediction<State, Input, Truth>(
  options: CheckPredictionOptions<State, Input, Truth>,
): { cases: number } {
  const { apply, shape, predict } = options;
  const compare = (
    state: State,
    input: Input,
  ): PredictionCounterexample<State, Input, Truth> | 'refused' | null => {
    let next: State;
    try {
      next = apply(state, input);
    } catch {
      return 'refused';
    }
    const truth = shape(next);
    const predicted = predict(shape(state), input);
    return deepEqual(predicted, truth) ? null : { state, input, predicted, truth };
  };
  const details = fc.check(
    fc.property(options.state, options.input, (state, input) => {
      const found = compare(state, input);
      fc.pre(found !== 'refused');
      return found === null;
    }),
    { numRuns: options.numRuns, seed: options.seed },
  );
  if (!details.failed) return { cases: details.numRuns };
  if (details.counterexample === null) {
    throw new Error(
      `checkPrediction: no case could be compared (${details.numSkips} skipped because apply refused them): generate states and inputs the write accepts.`,
    );
  }
  const [state, input] = details.counterexample;
  let found: ReturnType<typeof compare>;
  try {
    found = compare(state, input);
  } catch (cause) {
    throw new Error(
      `checkPrediction: predict or shape threw on the shrunk case state ${fc.stringify(state)}, input ${fc.stringify(input)}.`,
      { cause },
    );
  }
  if (found === null || found === 'refused') {
    throw new Error(
      `checkPrediction: the property failed but the shrunk case passes on a second run: are apply, shape and predict pure? (state ${fc.stringify(state)}, input ${fc.stringify(input)})`,
    );
  }
  throw new PredictionMismatchError(found, { seed: details.seed, cases: details.numRuns });
}
