// The periodic key-sync job (JobScheduler): any network, persisted across reboots. Runs
// Wallet.syncNow on the io worker and reschedules with the framework's back-off on failure.
package dev.hcewallet.sample.sync

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import android.util.Log
import dev.hcewallet.SyncOutcome
import dev.hcewallet.WalletException
import dev.hcewallet.sample.SampleApp
import dev.hcewallet.sample.service
import dev.hcewallet.sample.logic.SampleConfig

class SyncJobService : JobService() {
    companion object {
        fun schedule(ctx: Context) {
            val js = ctx.service<JobScheduler>()
            if (js.getPendingJob(SampleConfig.SYNC_JOB_ID) != null) return
            val job = JobInfo.Builder(SampleConfig.SYNC_JOB_ID, ComponentName(ctx, SyncJobService::class.java))
                .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                .setPeriodic(SampleConfig.SYNC_PERIOD_MS)
                .setPersisted(true)
                .build()
            Log.i(SampleApp.TAG, "sync job scheduled: ${js.schedule(job) == JobScheduler.RESULT_SUCCESS}")
        }
    }

    override fun onStartJob(params: JobParameters): Boolean {
        val app = SampleApp.instance
        app.io.execute {
            var retry = false
            try {
                if (app.session.wallet == null) app.session.open()
                val outcome = app.session.wallet?.syncNow()
                Log.i(SampleApp.TAG, "sync job: $outcome")
                retry = outcome is SyncOutcome.Failed
            } catch (e: WalletException) {
                Log.w(SampleApp.TAG, "sync job: ${e.message}")
                retry = true
            }
            jobFinished(params, retry)
        }
        return true
    }

    override fun onStopJob(params: JobParameters): Boolean = true
}
