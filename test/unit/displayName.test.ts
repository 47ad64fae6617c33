import { displayName } from '../../scripts/lib/displayName';

describe('displayName', () => {
  it('turns a dataset folder name into the name people read', () => {
    expect(displayName('Vladimir_Putin')).toBe('Vladimir Putin');
    expect(displayName('Jean-Claude_Van__Damme')).toBe('Jean-Claude Van Damme');
    expect(displayName('_Ada_')).toBe('Ada');
    expect(displayName('Ada Lindqvist')).toBe('Ada Lindqvist');
    expect(displayName('___')).toBe('___');
  });
});
