import { pageCaller } from '@/lib/server/auth/guards';
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import { FleetOverview } from '@/components/fleet/fleet-overview';
import { fleetQuery } from '@/lib/client/queries';
import { firstPaintFleetView } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

export default async function FleetPage() {
  await pageCaller('/');
  const queryClient = new QueryClient();
  queryClient.setQueryData(fleetQuery().queryKey, await firstPaintFleetView());
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <FleetOverview />
    </HydrationBoundary>
  );
}
