// The server SDK uses the same VerityError as the client, so `instanceof` holds across entry points.
export { VerityError, type VerityErrorCode } from '../registry/errors';
