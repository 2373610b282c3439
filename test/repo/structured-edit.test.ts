import { describe, expect, it } from 'vitest'
import { jsonDialect } from '../../src/repo/json-dialect.js'
import { detectJsonStyle, parseJsonValue } from '../../src/repo/json-syntax.js'
import { matchShape, pairItems, renderEdit } from '../../src/repo/structured-edit.js'

describe('matchShape', () => {
  it.each([
    {
      name: 'one-item list becomes the string it replaces',
      old: 's3:*',
      next: ['s3:GetObject'],
      expected: 's3:GetObject',
    },
    { name: 'longer lists stay lists', old: 's3:*', next: ['a', 'b'], expected: ['a', 'b'] },
    {
      name: 'a string becomes a list where the file had one',
      old: ['a', 'b'],
      next: 'a',
      expected: ['a'],
    },
    {
      name: 'a lone statement stays an object',
      old: { Effect: 'Allow' },
      next: [{ Effect: 'Deny' }],
      expected: { Effect: 'Deny' },
    },
    {
      name: 'shapes follow each key',
      old: { Action: 'a', Resource: ['r'] },
      next: { Action: ['b'], Resource: 'r' },
      expected: { Action: 'b', Resource: ['r'] },
    },
    {
      name: 'new keys are taken as given',
      old: {},
      next: { Action: ['a'] },
      expected: { Action: ['a'] },
    },
  ])('$name', ({ old, next, expected }) => {
    expect(matchShape(old, next)).toEqual(expected)
  })
})

describe('pairItems', () => {
  it.each([
    { name: 'same length pairs by position', old: ['a', 'b'], next: ['a', 'b'], expected: [0, 1] },
    { name: 'removed items are skipped', old: ['a', 'b', 'c'], next: ['a', 'c'], expected: [0, 2] },
    { name: 'new items pair with nothing', old: ['a'], next: ['a', 'z'], expected: [0, undefined] },
    {
      name: 'statements pair by Sid',
      old: [
        { Sid: 'A', Action: ['x', 'y'] },
        { Sid: 'B', Action: 'z' },
      ],
      next: [{ Sid: 'B', Action: 'z' }],
      expected: [1],
    },
    {
      name: 'statements without Sid pair when only actions differ',
      old: [
        { Effect: 'Allow', Action: ['x', 'y'], Resource: '1' },
        { Effect: 'Allow', Action: ['z'], Resource: '2' },
      ],
      next: [{ Effect: 'Allow', Action: ['z'], Resource: '2' }],
      expected: [1],
    },
  ])('$name', ({ old, next, expected }) => {
    expect(pairItems(old, next)).toEqual(expected)
  })
})

describe('renderEdit', () => {
  const edit = (text: string, next: unknown) =>
    renderEdit(text, parseJsonValue(text), next, jsonDialect(detectJsonStyle(text)))

  it.each([
    {
      name: 'unchanged text is reused as written',
      text: '{ "a" :  [1,2] }',
      next: { a: [1, 2] },
      expected: '{ "a" :  [1,2] }',
    },
    {
      name: 'one-line lists keep their spacing',
      text: '[ "a", "b", "c" ]',
      next: ['a', 'c'],
      expected: '[ "a", "c" ]',
    },
    {
      name: 'the last item removed takes its comma',
      text: '[\n  "a",\n  "b"\n]',
      next: ['a'],
      expected: '[\n  "a"\n]',
    },
    {
      name: 'everything removed leaves an empty list',
      text: '["a", "b"]',
      next: [],
      expected: '[]',
    },
    {
      name: 'new items rebuild the list in the file style',
      text: '{\n    "A": [\n        "x"\n    ]\n}',
      next: { A: ['x', 'y'] },
      expected: '{\n    "A": [\n        "x",\n        "y"\n    ]\n}',
    },
    {
      name: 'a removed member takes its line',
      text: '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}',
      next: { a: 1, c: 3 },
      expected: '{\n  "a": 1,\n  "c": 3\n}',
    },
  ])('$name', ({ text, next, expected }) => {
    expect(edit(text, next)).toBe(expected)
  })
})
