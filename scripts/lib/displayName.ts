/**
 * A person's name as people write it, from a photo folder's name as face datasets spell it (LFW's
 * `Vladimir_Putin`, `Jean-Claude_Van_Damme`): underscores become spaces, runs of spaces one.
 *
 * @example displayName('Vladimir_Putin') // 'Vladimir Putin'
 */
export function displayName(folder: string): string {
  return folder.replace(/_+/g, ' ').replace(/\s+/g, ' ').trim() || folder;
}
