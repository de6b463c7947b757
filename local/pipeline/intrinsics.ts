/**
 * CloudFormation intrinsic functions resolved against the resources of the local run: the stack's
 * environment variables, custom resource properties, alarm dimensions and subscriptions name their
 * resources by `Ref` and `Fn::GetAtt`; here each logical id the local run provides maps to its local value
 * (a DynamoDB Local table name, a stand-in topic ARN, ...). A reference to anything else is an error that
 * names it, so the local run never guesses.
 */

export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

interface LocalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export class LocalResources {
  private readonly resources = new Map<string, LocalResource>();
  private readonly pseudo: Record<string, string>;

  constructor(opts: { region: string; accountId: string; stackName: string }) {
    this.pseudo = {
      'AWS::Region': opts.region,
      'AWS::AccountId': opts.accountId,
      'AWS::StackName': opts.stackName,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
    };
  }

  /** Declares what `{"Ref": logicalId}` and `{"Fn::GetAtt": [logicalId, name]}` stand for locally. */
  define(logicalId: string, ref: string, attributes: Record<string, string> = {}): void {
    this.resources.set(logicalId, { ref, attributes });
  }

  has(logicalId: string): boolean {
    return this.resources.has(logicalId);
  }

  /** Resolves every intrinsic in `value` (deeply); throws an UnresolvableError naming what is unknown. */
  resolve(value: unknown, where = 'value'): unknown {
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && isIntrinsic(first[0])) {
      return this.intrinsic(first[0], first[1], where);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item, `${where}.${key}`)]));
  }

  /** Like resolve, for a value that must end up a string. */
  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string') {
      throw new UnresolvableError(`${where} is not a string once resolved: ${JSON.stringify(resolved)}`);
    }
    return resolved;
  }

  private intrinsic(name: string, argument: unknown, where: string): unknown {
    switch (name) {
      case 'Ref': {
        const id = String(argument);
        const pseudo = this.pseudo[id];
        if (pseudo !== undefined) return pseudo;
        const resource = this.resources.get(id);
        if (resource === undefined) {
          throw new UnresolvableError(`${where} refers to ${id}, which the local run does not provide`);
        }
        return resource.ref;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument)
          ? (argument as string[])
          : String(argument).split('.', 2);
        const value = id === undefined ? undefined : this.resources.get(id)?.attributes[attribute ?? ''];
        if (value === undefined) {
          throw new UnresolvableError(
            `${where} uses ${id}.${attribute}, which the local run does not provide`,
          );
        }
        return value;
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        const resolved = this.resolve(parts, where);
        if (!Array.isArray(resolved)) throw new UnresolvableError(`${where}: Fn::Join needs a list`);
        return resolved.map((part) => String(part)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = this.resolve(list, where);
        if (!Array.isArray(items)) throw new UnresolvableError(`${where}: Fn::Select needs a list`);
        return items[Number(this.resolve(index, where))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return this.resolveString(text, where).split(separator);
      }
      default:
        throw new UnresolvableError(`${where} uses ${name}, which the local run does not evaluate`);
    }
  }
}

function isIntrinsic(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}
