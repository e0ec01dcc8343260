import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ConsoleLogger,
  getLogLevel,
  parseLogLevel,
  setLogLevel,
  setLogSink,
  type LogRecord,
} from './logger.js';

function capture(): LogRecord[] {
  const records: LogRecord[] = [];
  setLogSink((r) => records.push(r));
  return records;
}

describe('ConsoleLogger', () => {
  afterEach(() => {
    setLogSink(undefined);
    setLogLevel(undefined);
    delete process.env.MBRL_LOG_LEVEL;
  });

  it('formats lines as [LEVEL] [time] [name]: message through the global sink', () => {
    const records = capture();
    setLogLevel('debug');
    new ConsoleLogger('robot.ctrl').warn('late state');
    assert.equal(records.length, 1);
    assert.equal(records[0].level, 'warn');
    assert.match(records[0].line, /^\[WARN\] \[\d+\.\d{6}\] \[robot\.ctrl\]: late state$/);
    assert.ok(Math.abs(records[0].timeSeconds - Date.now() / 1000) < 5);
  });

  it('drops messages below the global level', () => {
    const records = capture();
    setLogLevel('warn');
    const log = new ConsoleLogger('n');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(
      records.map((r) => r.message),
      ['w', 'e', 'f'],
    );
  });

  it('lets a per-logger level and sink win over the global ones', () => {
    const global = capture();
    setLogLevel('error');
    const own: LogRecord[] = [];
    const log = new ConsoleLogger('n', { level: 'debug', sink: (r) => own.push(r) });
    log.debug('x');
    assert.equal(own.length, 1);
    assert.equal(global.length, 0);
  });

  it('reads MBRL_LOG_LEVEL when no level was set in code', () => {
    process.env.MBRL_LOG_LEVEL = 'ERROR';
    setLogLevel(undefined); // forget the cached value
    assert.equal(getLogLevel(), 'error');
    const records = capture();
    new ConsoleLogger('n').warn('hidden');
    assert.equal(records.length, 0);
    setLogLevel('debug');
    assert.equal(getLogLevel(), 'debug');
  });

  it('defaults to info', () => {
    setLogLevel(undefined);
    assert.equal(getLogLevel(), 'info');
  });

  it('parses level names and rejects unknown ones by name', () => {
    assert.equal(parseLogLevel('Warning'), 'warn');
    assert.equal(parseLogLevel(' debug '), 'debug');
    assert.throws(() => parseLogLevel('loud'), /invalid log level 'loud': expected one of debug, info, warn/);
  });

  it('falls back to stderr when a sink throws instead of throwing at the caller', (t) => {
    const write = t.mock.method(process.stderr, 'write', () => true);
    setLogSink(() => {
      throw new Error('sink broken');
    });
    new ConsoleLogger('n').error('still logged');
    assert.equal(write.mock.callCount(), 1);
    assert.match(String(write.mock.calls[0].arguments[0]), /\[ERROR\].*still logged/);
  });
});
