// checkPrediction (verity-xstate/testing, SPEC §8): a right transform passes, a wrong one shrinks to its counterexample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPrediction, PredictionMismatchError } from '../../src/testing/index';

interface ShopState {
  lines: { productId: string; quantity: number }[];
  stock: Record<string, number>;
}

interface AddToCart {
  productId: string;
  quantity: number;
}

/** The handler's effect over plain state; out-of-stock requests are refused, as the server refuses them. */
function applyAddToCart(state: ShopState, input: AddToCart): ShopState {
  const stock = state.stock[input.productId] ?? 0;
  if (stock < input.quantity) throw new Error(`${input.productId} is out of stock`);
  return {
    lines: [...state.lines, { productId: input.productId, quantity: input.quantity }],
    stock: { ...state.stock, [input.productId]: stock - input.quantity },
  };
}

/** What the cart read ships to the client. */
const shapeCart = (state: ShopState) => ({
  count: state.lines.reduce((total, line) => total + line.quantity, 0),
});

const products = fc.constantFrom('p1', 'p2');
const state: fc.Arbitrary<ShopState> = fc.record({
  lines: fc.array(fc.record({ productId: products, quantity: fc.integer({ min: 1, max: 5 }) }), {
    maxLength: 6,
  }),
  stock: fc.record({ p1: fc.integer({ min: 0, max: 10 }), p2: fc.integer({ min: 0, max: 10 }) }),
});
const input: fc.Arbitrary<AddToCart> = fc.record({
  productId: products,
  quantity: fc.integer({ min: 1, max: 5 }),
});

describe('checkPrediction', () => {
  it('returns the number of cases compared for a right transform', () => {
    expect(
      checkPrediction({
        apply: applyAddToCart,
        shape: shapeCart,
        predict: (truth, { quantity }) => ({ count: truth.count + quantity }),
        state,
        input,
        numRuns: 200,
      }),
    ).toEqual({ cases: 200 });
  });

  it('throws the shrunk counterexample for a wrong transform', () => {
    let error: unknown;
    try {
      checkPrediction({
        apply: applyAddToCart,
        shape: shapeCart,
        // Wrong: counts a line, not its quantity.
        predict: (truth) => ({ count: truth.count + 1 }),
        state,
        input,
        seed: 42,
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(PredictionMismatchError);
    const { counterexample, message } = error as PredictionMismatchError;
    // Shrunk to the smallest case that shows the mistake: an empty cart, a quantity of 2, just enough stock.
    expect(counterexample).toEqual({
      state: { lines: [], stock: { p1: 0, p2: 2 } },
      input: { productId: 'p2', quantity: 2 },
      predicted: { count: 1 },
      truth: { count: 2 },
    });
    expect(message).toContain('Shrunk counterexample:');
    expect(message).toContain('input:     {"productId":"p2","quantity":2}');
  });

  it('says so when apply refuses every case', () => {
    expect(() =>
      checkPrediction({
        apply: () => {
          throw new Error('refused');
        },
        shape: shapeCart,
        predict: (truth) => truth,
        state,
        input,
        numRuns: 5,
      }),
    ).toThrow('no case could be compared');
  });

  it('names the shrunk case when predict throws', () => {
    expect(() =>
      checkPrediction({
        apply: applyAddToCart,
        shape: shapeCart,
        predict: () => {
          throw new Error('boom');
        },
        state,
        input,
      }),
    ).toThrow('predict or shape threw on the shrunk case');
  });
});
