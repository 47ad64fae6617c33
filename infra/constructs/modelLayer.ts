import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const REPO_ROOT = resolve(__dirname, '../..');

/** The layer root for one architecture, laid out by `npm run build:layer` (layers/models/native.mjs). */
export function layerAssetDir(arch: 'arm64' | 'x64'): string {
  return join(REPO_ROOT, 'build/layer-asset', `linux-${arch}`);
}

/**
 * The face models (at /opt/models) and the native modules the bundles leave external (at
 * /opt/nodejs/node_modules, which is on the Node.js runtime's NODE_PATH).
 */
export class ModelLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: { arch: 'arm64' | 'x64' }) {
    super(scope, id);
    const dir = layerAssetDir(props.arch);
    if (!existsSync(join(dir, 'models/fr_detect.onnx'))) {
      throw new Error(`layer asset missing in ${dir}: run npm run build:layer -- --arch ${props.arch}`);
    }
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      code: lambda.Code.fromAsset(dir),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [
        props.arch === 'x64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
      ],
      description: 'Face models, onnxruntime-node and sharp',
    });
  }
}
