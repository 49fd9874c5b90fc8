// Signal names and numbers (SPEC 3 stop_signal; SPEC 4: 128+N for a death by signal N).
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { exitCodeOfSignal, signalName, signalNumber } from '../../src/core/signals.js';

describe('signalNumber', () => {
  it.each([
    ['TERM', 15],
    ['SIGTERM', 15],
    ['term', 15],
    ['sigterm', 15],
    ['Term', 15],
    ['15', 15],
    ['KILL', 9],
    ['9', 9],
    ['HUP', 1],
    ['INT', 2],
    ['QUIT', 3],
    ['USR1', constants.signals.SIGUSR1],
    ['SIGUSR2', constants.signals.SIGUSR2],
  ])('%j is %i', (text, num) => {
    expect(signalNumber(text)).toBe(num);
  });

  it.each(['NOPE', 'SIGNOPE', 'SIG', '', '0', '999', '-15', '15.0', 'TERM ', ' 15', 'SIG TERM'])(
    '%j is no signal', (text) => {
      expect(signalNumber(text)).toBeUndefined();
    });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('%j is no signal (no prototype keys)', (text) => {
    expect(signalNumber(text)).toBeUndefined();
  });
});

describe('signalName', () => {
  it.each([
    [15, 'TERM'],
    [9, 'KILL'],
    [1, 'HUP'],
    [2, 'INT'],
    [11, 'SEGV'],
    [constants.signals.SIGABRT, 'ABRT'],
  ])('%i is %s, without the SIG prefix', (num, name) => {
    expect(signalName(num)).toBe(name);
  });

  it('prefers ABRT to its alias IOT', () => {
    expect(signalName(constants.signals.SIGIOT)).toBe('ABRT');
  });

  it('gives the number as text when there is no name', () => {
    expect(signalName(250)).toBe('250');
  });

  it.each(Object.entries(constants.signals))('round-trips %s through its number', (name, num) => {
    expect(signalNumber(signalName(num))).toBe(num);
    expect(signalNumber(name)).toBe(num);
  });
});

describe('exitCodeOfSignal', () => {
  it.each([
    [9, 137],
    [15, 143],
    [2, 130],
    [1, 129],
  ])('signal %i exits with %i, as sh reports it', (num, code) => {
    expect(exitCodeOfSignal(num)).toBe(code);
  });
});
