import { describe, expect, it } from 'vitest';
import { connectionConfig } from '../../src/store/index.js';

describe('connectionConfig', () => {
  it('connects to localhost without TLS', () => {
    const url = 'postgres://u:p@localhost:5432/refork';
    expect(connectionConfig(url)).toMatchObject({ connectionString: url });
    expect(connectionConfig(url).ssl).toBeUndefined();
  });

  it('connects to 127.0.0.1 without TLS', () => {
    expect(connectionConfig('postgres://u:p@127.0.0.1:5432/refork').ssl).toBeUndefined();
  });

  it('uses TLS without certificate verification for a remote host, as Heroku Postgres needs', () => {
    const config = connectionConfig('postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1?sslmode=require');
    expect(config.ssl).toEqual({ rejectUnauthorized: false });
    expect(config.connectionString).toBe('postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1');
  });

  it('keeps other URL parameters when it strips sslmode', () => {
    const config = connectionConfig('postgres://u:p@db.example.com/d1?sslmode=require&options=-c%20search_path%3Drefork');
    expect(config.connectionString).toBe('postgres://u:p@db.example.com/d1?options=-c+search_path%3Drefork');
  });

  it('honours sslmode=disable for a remote host', () => {
    expect(connectionConfig('postgres://u:p@db.internal/d1?sslmode=disable').ssl).toBeUndefined();
  });

  it('leaves sslmode=verify-full to pg, which then verifies the certificate', () => {
    const url = 'postgres://u:p@db.example.com/d1?sslmode=verify-full';
    expect(connectionConfig(url)).toMatchObject({ connectionString: url });
    expect(connectionConfig(url).ssl).toBeUndefined();
  });

  it('rejects a malformed URL with the expected shape, without echoing it', () => {
    expect(() => connectionConfig('not a url with secret')).toThrow(/expected postgres:\/\/user:password@host:5432\/database/);
    expect(() => connectionConfig('not a url with secret')).not.toThrow(/secret/);
  });
});
