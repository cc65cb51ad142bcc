import { it } from 'vitest';
import { z } from 'zod';
import { operations } from '../src/shared/operations';

it('x', () => {
  const bad = { length: Object.create(null) };
  try { operations['images.get'].input.safeParse({ name: bad }); } catch (e) { console.log('op', (e as Error).stack?.split('\n').slice(0, 8).join('\n')); }
  try { z.string().max(3).safeParse(bad); } catch (e) { console.log('plain', (e as Error).message); }
});
