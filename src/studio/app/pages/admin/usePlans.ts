import { useSession } from '../../lib/session.js';
import { useResource, type Resource } from '../../lib/resource.js';
import type { Plan } from '../../lib/types.js';

export function usePlans(): Resource<{ plans: Plan[] }> {
  const { api } = useSession();
  return useResource((s) => api.get<{ plans: Plan[] }>('/admin/plans', s), [api]);
}
